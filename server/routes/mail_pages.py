"""Photos of a case for a department outside casehub, by a signed link.

A department that works by email cannot sign in, so its hand-off email links
to each photo with a signature that holds while the case stays with it.
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app, request, send_file
from quart_schema import hide

from server import photos
from server.config import Settings
from server.errors import ApiError
from server.mail import links
from server.models import Case, CasePhoto, Photo

blueprint = Blueprint("mail_pages", __name__)


@blueprint.get("/mail/photos/<reference>/<sha256>")
@hide
async def photo_by_link(reference: str, sha256: str) -> Response:
    """A case photo for a department outside casehub, by a signed link."""
    case = await Case.get_or_none(reference=reference.upper())
    until = request.args.get("until", "")
    signature = request.args.get("sig", "")
    photo = await Photo.get_or_none(sha256=sha256) if case else None
    shown = case is not None and photo is not None and await CasePhoto.exists(
        case_id=case.id, photo_id=sha256)
    if (case is None or photo is None or not shown or not until.isdecimal()
            or not await links.link_holds(case, sha256, int(until), signature)):
        raise ApiError(404, "photo_link_invalid",
                       "This photo link has expired, or the case has moved on; "
                       "ask the Customer Hub for the photo.")

    root = _settings().photo_dir
    response = await send_file(photos.path_for(root, sha256), mimetype=photo.mime)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings
