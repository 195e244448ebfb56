"""Storing case photos: checked, stripped of metadata, addressed by hash."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from server.errors import ApiError

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    mime: str
    width: int
    height: int


def path_for(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def check_hash(data: bytes, sha256: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ApiError(422, "hash_mismatch",
                       f"The photo's SHA-256 is {actual}, not {sha256}; hash the "
                       "bytes you send.", field="sha256")


async def checked_image(data: bytes) -> CheckedImage:
    return await asyncio.to_thread(_check_and_strip, data)


def _check_and_strip(data: bytes) -> CheckedImage:
    """Refuse what is not a sane image, and drop EXIF, GPS and comments."""
    if len(data) > MAX_BYTES:
        raise ApiError(413, "photo_too_large",
                       f"A photo may be at most {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.verify()
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ApiError(422, "photo_too_many_pixels",
                       f"A photo may have at most {MAX_PIXELS:,} pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ApiError(415, "not_an_image",
                       "The photo must be a JPEG, PNG or WebP image.") from None

    if image.format not in FORMATS:
        raise ApiError(415, "not_an_image",
                       "The photo must be a JPEG, PNG or WebP image.")
    return CheckedImage(_without_metadata(image, data), FORMATS[image.format],
                        width, height)


def _without_metadata(image: Image.Image, data: bytes) -> bytes:
    """The original bytes when they carry no metadata, else a clean copy."""
    carries = bool(image.getexif()) or any(
        key in image.info for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment")
    ) or bool(getattr(image, "text", None))
    if not carries:
        return data

    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    options = {"quality": 90} if image.format in {"JPEG", "WEBP"} else {}
    clean.save(out, format=image.format, **options)
    return out.getvalue()


def write_file(root: Path, sha256: str, data: bytes) -> None:
    target = path_for(root, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
