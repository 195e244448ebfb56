"""Uploading case photos: checked, stripped, stored once, shown to the right people."""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image

from server.config import Settings
from server.models import Photo
from server.photos import MAX_BYTES
from tests.factories import (
    bearer,
    enroll,
    make_council,
    mutation,
    new_case,
    pull_all,
    push,
    sign_in,
)
from tests.test_errors import assert_problem


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (64, 48),
                **options: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format=kind, **options)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png_declaring(width: int, height: int) -> bytes:
    """A well-formed PNG whose header claims `width` x `height` pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (54.0, 35.0, 14.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (5.0, 55.0, 48.0),
    }
    return image_bytes("JPEG", exif=exif.tobytes())


def stored_files(settings: Settings) -> list[Path]:
    return [path for path in settings.photo_dir.rglob("*") if path.is_file()]


async def upload(client: Any, token: str, data: bytes,
                 name: str | None = None) -> Any:
    return await client.put(f"/api/photos/{name or sha(data)}", data=data,
                            headers={**bearer(token), "Content-Type": "image/png"})


async def test_upload_and_fetch(client, settings):
    council = await make_council()
    token = await enroll(client, council.members[0])
    data = image_bytes()

    stored = await upload(client, token, data)
    fetched = await client.get(f"/api/photos/{sha(data)}", headers=bearer(token))

    body = await stored.get_json()
    assert stored.status_code == 201, body
    assert body == {"sha256": sha(data), "mime": "image/png", "size": len(data),
                    "width": 64, "height": 48}
    assert fetched.status_code == 200
    assert fetched.mimetype == "image/png"
    assert await fetched.get_data() == data
    assert "immutable" in fetched.headers["Cache-Control"]


async def test_uploading_again_stores_one_row_and_one_file(client, settings):
    council = await make_council()
    token = await enroll(client, council.members[0])
    data = image_bytes("WEBP")

    first = await upload(client, token, data)
    second = await upload(client, token, data)

    assert first.status_code == 201
    assert second.status_code == 200
    assert await second.get_json() == await first.get_json()
    assert await Photo.filter(sha256=sha(data)).count() == 1
    assert len(stored_files(settings)) == 1


async def test_a_hash_that_does_not_match_is_422(client, settings):
    council = await make_council()
    token = await enroll(client, council.members[0])
    data = image_bytes()

    response = await upload(client, token, data, name=sha(data + b"x"))

    body = await assert_problem(response, 422, "hash_mismatch", field="sha256")
    assert sha(data) in body["detail"]
    assert not await Photo.exists()
    assert stored_files(settings) == []


async def test_a_name_that_is_not_a_sha256_is_422(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    data = image_bytes()

    for name in (sha(data).upper(), sha(data)[:63], "z" * 64, "photo.png"):
        response = await upload(client, token, data, name=name)

        await assert_problem(response, 422, "invalid_hash", field="sha256")
        fetched = await client.get(f"/api/photos/{name}", headers=bearer(token))
        await assert_problem(fetched, 422, "invalid_hash", field="sha256")


async def test_what_is_not_an_image_is_415(client, settings):
    council = await make_council()
    token = await enroll(client, council.members[0])

    for data in (b"%PDF-1.7 not a photo", image_bytes("GIF"), image_bytes("BMP")):
        response = await upload(client, token, data)

        await assert_problem(response, 415, "not_an_image")
    assert not await Photo.exists()
    assert stored_files(settings) == []


async def test_a_truncated_image_is_refused(client, settings):
    council = await make_council()
    token = await enroll(client, council.members[0])
    whole = image_bytes("JPEG", size=(400, 300))

    for data in (whole[: len(whole) // 2], image_bytes()[:60]):
        response = await upload(client, token, data)

        await assert_problem(response, 415, "not_an_image")
    assert not await Photo.exists()


async def test_a_decompression_bomb_is_422(client, settings):
    council = await make_council()
    token = await enroll(client, council.members[0])

    for width, height in ((100_000, 100_000), (8_000, 6_000)):
        data = png_declaring(width, height)

        response = await upload(client, token, data)

        await assert_problem(response, 422, "photo_too_many_pixels")
    assert not await Photo.exists()
    assert stored_files(settings) == []


async def test_a_photo_over_10_mb_is_413(client, settings):
    council = await make_council()
    token = await enroll(client, council.members[0])
    data = image_bytes() + b"\x00" * MAX_BYTES

    response = await upload(client, token, data)

    await assert_problem(response, 413, "photo_too_large")
    assert stored_files(settings) == []


async def test_gps_and_other_exif_are_stripped(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    stored = await upload(client, token, data)
    fetched = await client.get(f"/api/photos/{sha(data)}", headers=bearer(token))

    assert stored.status_code == 201
    clean = await fetched.get_data()
    image = Image.open(io.BytesIO(clean))
    assert image.format == "JPEG"
    assert image.size == (64, 48)
    assert not image.getexif()
    assert "exif" not in image.info
    assert b"PhoneMaker" not in clean
    assert (await stored.get_json())["size"] == len(clean)


async def test_only_the_uploader_sees_a_photo_not_yet_on_a_case(client):
    council = await make_council()
    owner = await enroll(client, council.members[0])
    other = await enroll(client, council.members[1])
    data = image_bytes()
    await upload(client, owner, data)

    stranger = await client.get(f"/api/photos/{sha(data)}", headers=bearer(other))
    await sign_in(client, council.agent)
    staff = await client.get(f"/api/photos/{sha(data)}")

    await assert_problem(stranger, 404, "photo_not_found")
    await assert_problem(staff, 404, "photo_not_found")


async def test_a_photo_on_a_case_is_shown_to_hub_staff_not_other_members(client):
    council = await make_council()
    owner = await enroll(client, council.members[0])
    other = await enroll(client, council.members[1])
    data = image_bytes()
    await upload(client, owner, data)
    created = new_case(council.fly_tipping, 1, photos=[sha(data)])
    await push(client, owner, [created])

    stranger = await client.get(f"/api/photos/{sha(data)}", headers=bearer(other))
    await sign_in(client, council.agent)
    staff = await client.get(f"/api/photos/{sha(data)}")
    await sign_in(client, council.parks_officer)
    other_department = await client.get(f"/api/photos/{sha(data)}")

    await assert_problem(stranger, 404, "photo_not_found")
    assert staff.status_code == 200
    assert await staff.get_data() == data
    await assert_problem(other_department, 404, "photo_not_found")


async def test_a_photo_on_a_case_appears_in_its_photos(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    first, second = image_bytes(), image_bytes("JPEG")
    await upload(client, token, first)
    await upload(client, token, second)
    created = new_case(council.fly_tipping, 1, photos=[sha(first)])
    case_id = created["args"]["case_id"]
    added = mutation(2, "case.photo", {
        "case_id": case_id, "event_id": str(uuid.uuid4()),
        "sha256": sha(second), "caption": "From the lane",
    })

    response = await push(client, token, [created, added])

    statuses = [r["status"] for r in (await response.get_json())["results"]]
    assert statuses == ["applied", "applied"]
    changes, _, _ = await pull_all(client, token)
    cases = [c for c in changes if c["entity"] == "case"]
    assert cases[-1]["data"]["photos"] == [sha(first), sha(second)]
    events = [c["data"] for c in changes if c["entity"] == "event"]
    photo_events = [e["data"] for e in events if e["kind"] == "photo"]
    assert {"sha256": sha(second), "caption": "From the lane"} in photo_events


async def test_a_case_naming_a_photo_not_yet_uploaded_waits_for_it(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    data = image_bytes()
    created = new_case(council.fly_tipping, 1, photos=[sha(data)])

    waiting = await push(client, token, [created])
    await upload(client, token, data)
    applied = await push(client, token, [created])

    result = (await waiting.get_json())["results"][0]
    assert result["status"] == "not_yet"
    assert result["error"]["code"] == "photo_missing"
    assert (await applied.get_json())["results"][0]["status"] == "applied"
    changes, _, _ = await pull_all(client, token)
    (case,) = [c for c in changes if c["entity"] == "case"]
    assert case["data"]["photos"] == [sha(data)]
