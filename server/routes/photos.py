"""Uploading and fetching case photos by their SHA-256."""

from __future__ import annotations

import asyncio
from typing import cast

from quart import Blueprint, Response, current_app, request, send_file
from quart_schema import tag
from tortoise.exceptions import IntegrityError

from server import photos
from server.auth import current_device, current_staff
from server.casework import can_see
from server.errors import ApiError
from server.models import Case, CasePhoto, Photo, User

blueprint = Blueprint("photos", __name__)

SHA = "<sha256>"
HEX = frozenset("0123456789abcdef")


@blueprint.put(f"/api/photos/{SHA}")
@tag(["photos"])
async def upload(sha256: str) -> tuple[dict[str, object], int]:
    """Store a photo before sending the mutation that names it. Idempotent."""
    _, user = await current_device()
    _check_name(sha256)
    data = cast(bytes, await request.get_data(as_text=False))
    # Only the bytes themselves prove a sender has the photo: without them,
    # a name alone must not tell whether someone else's photo is stored.
    photos.check_hash(data, sha256)
    existing = await Photo.get_or_none(sha256=sha256)
    if existing is not None:
        return _described(existing), 200

    image = await photos.checked_image(data)
    root = current_app.config["SETTINGS"].photo_dir
    await asyncio.to_thread(photos.write_file, root, sha256, image.data)
    try:
        photo = await Photo.create(sha256=sha256, mime=image.mime,
                                   size=len(image.data), width=image.width,
                                   height=image.height, uploaded_by_id=user.id)
    except IntegrityError:
        # The same photo arrived twice at once; the first one stands.
        return _described(await Photo.get(sha256=sha256)), 200
    return _described(photo), 201


@blueprint.get(f"/api/photos/{SHA}")
@tag(["photos"])
async def fetch(sha256: str) -> Response:
    """A photo, for its uploader and anyone who may see a case showing it."""
    user = await _caller()
    _check_name(sha256)
    photo = await Photo.get_or_none(sha256=sha256)
    if photo is None or not await _may_see(user, photo):
        raise ApiError(404, "photo_not_found", f"There is no photo {sha256}.")

    root = current_app.config["SETTINGS"].photo_dir
    response = await send_file(photos.path_for(root, sha256), mimetype=photo.mime)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


def _check_name(sha256: str) -> None:
    if len(sha256) != 64 or not set(sha256) <= HEX:
        raise ApiError(422, "invalid_hash",
                       "A photo is named by the SHA-256 of its bytes: 64 "
                       "lower-case hexadecimal characters.", field="sha256")


async def _caller() -> User:
    if request.headers.get("Authorization"):
        _, user = await current_device()
        return user
    return await current_staff()


async def _may_see(user: User, photo: Photo) -> bool:
    if photo.uploaded_by_id == user.id:
        return True
    case_ids = await CasePhoto.filter(photo_id=photo.sha256).values_list(
        "case_id", flat=True
    )
    for case in await Case.filter(id__in=list(case_ids)):
        if can_see(user, case):
            return True
    return False


def _described(photo: Photo) -> dict[str, object]:
    return {"sha256": photo.sha256, "mime": photo.mime, "size": photo.size,
            "width": photo.width, "height": photo.height}
