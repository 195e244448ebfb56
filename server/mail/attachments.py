"""Keeping the files that come with email: on disk by hash, in rows by mail.

A file is written under the SHA-256 of its bytes, never under the name it
came with, so no name can reach outside the folder. An image that passes
the photo checks is also kept as a case photo, stripped of its metadata.
The files are written before the transaction that records them: a file
whose transaction fails is left unused, and the same bytes arriving again
find it there.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

from tortoise.backends.base.client import BaseDBAsyncClient

from server import photos
from server.config import Settings
from server.errors import ApiError
from server.mail.models import Attachment, MailMessage
from server.mail.parsing import File
from server.models import Photo

# Download types a browser may be told; anything else is sent as bytes.
SAFE_TYPES = {
    "application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp",
    "text/plain", "text/csv", "application/zip",
    "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Kept:
    sha256: str
    filename: str
    mime: str
    size: int
    # Set when the file is an image fit to be a case photo.
    photo: photos.CheckedImage | None


def path_for(settings: Settings, sha256: str) -> Path:
    return photos.path_for(settings.attachment_dir, sha256)


async def keep(settings: Settings, files: tuple[File, ...]) -> list[Kept]:
    """Write each file, and each image fit to be a photo, to the data folder."""
    kept = []
    for file in files:
        sha256 = hashlib.sha256(file.content).hexdigest()
        target = path_for(settings, sha256)
        if not target.exists():
            await asyncio.to_thread(photos.write_file, settings.attachment_dir,
                                    sha256, file.content)
        image = await _as_photo(settings, sha256, file)
        kept.append(Kept(sha256, file.filename, file.mime, len(file.content), image))
    return kept


async def _as_photo(settings: Settings, sha256: str,
                    file: File) -> photos.CheckedImage | None:
    if not file.mime.startswith("image/"):
        return None
    try:
        image = await photos.checked_image(file.content)
    except ApiError:
        return None
    await keep_photo(settings, sha256, image)
    return image


async def keep_photo(settings: Settings, sha256: str,
                     image: photos.CheckedImage) -> None:
    """Write the clean copy of an image where case photos are kept."""
    if not photos.path_for(settings.photo_dir, sha256).exists():
        await asyncio.to_thread(photos.write_file, settings.photo_dir, sha256,
                                image.data)


async def record(connection: BaseDBAsyncClient, mail: MailMessage,
                 kept: list[Kept], case_id: str | None) -> list[Attachment]:
    return [
        await Attachment.create(mail_id=mail.id, case_id=case_id, sha256=item.sha256,
                                filename=item.filename, mime=item.mime,
                                size=item.size, created_at=mail.created_at,
                                using_db=connection)
        for item in kept
    ]


async def photos_of(kept: list[Kept], uploader_id: int, limit: int) -> list[Photo]:
    """Photo rows for the images among `kept`, at most `limit` of them."""
    found: list[Photo] = []
    for item in kept:
        if item.photo is None or len(found) >= limit:
            continue
        photo, _ = await Photo.get_or_create(
            sha256=item.sha256,
            defaults={"mime": item.photo.mime, "size": len(item.photo.data),
                      "width": item.photo.width, "height": item.photo.height,
                      "uploaded_by_id": uploader_id},
        )
        if photo not in found:
            found.append(photo)
    return found


def download_type(mime: str) -> str:
    return mime if mime in SAFE_TYPES else "application/octet-stream"
