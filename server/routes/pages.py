"""The member app's files, served from pwa/, and the health check."""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response, current_app, send_from_directory
from quart_schema import hide

blueprint = Blueprint("pages", __name__)

PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"


@blueprint.get("/")
@hide
async def index() -> Response:
    return await _pwa_file("index.html")


@blueprint.get("/app/<path:name>")
@hide
async def app_file(name: str) -> Response:
    return await _pwa_file(name)


@blueprint.get("/healthz")
@hide
async def health() -> dict[str, str]:
    return {"status": "ok", "version": current_app.config["VERSION"]}


async def _pwa_file(name: str) -> Response:
    response = await send_from_directory(PWA_DIR, name)
    # The app checks for itself whether it is current; never serve it stale.
    response.headers["Cache-Control"] = "no-cache"
    return response
