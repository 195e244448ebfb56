"""The member app's files, served from pwa/, and the health check."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

from quart import Blueprint, Response, current_app, send_from_directory
from quart_schema import hide

blueprint = Blueprint("pages", __name__)

PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"
WORKER = "service-worker.js"
SHELL_SUFFIXES = frozenset({".html", ".js", ".css", ".png", ".svg", ".webmanifest"})
MIME_TYPES = {".webmanifest": "application/manifest+json",
              ".js": "text/javascript; charset=utf-8"}


@blueprint.get("/")
@hide
async def index() -> Response:
    return await _pwa_file("index.html")


@blueprint.get("/app/<path:name>")
@hide
async def app_file(name: str) -> Response:
    return await _pwa_file(name)


@blueprint.get(f"/{WORKER}")
@hide
async def service_worker() -> Response:
    """The worker, told which files make up this version of the app.

    The version is a hash of those files, so any change to the app makes the
    browser see a new worker and offer the update; nobody bumps it by hand.
    """
    files, version = await asyncio.to_thread(_shell, PWA_DIR)
    script = (PWA_DIR / WORKER).read_text(encoding="utf-8")
    header = (f"const SHELL_VERSION = {json.dumps(version)};\n"
              f"const SHELL_FILES = {json.dumps(files)};\n")
    response = Response(header + script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@blueprint.get("/healthz")
@hide
async def health() -> dict[str, str]:
    return {"status": "ok", "version": current_app.config["VERSION"]}


async def _pwa_file(name: str) -> Response:
    response = await send_from_directory(PWA_DIR, name)
    suffix = Path(name).suffix
    if suffix in MIME_TYPES:
        response.content_type = MIME_TYPES[suffix]
    # The app checks for itself whether it is current; never serve it stale.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _shell(root: Path) -> tuple[list[str], str]:
    """The app's URLs, and a version that changes whenever any of them does."""
    digest = hashlib.sha256()
    urls = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or path.suffix not in SHELL_SUFFIXES:
            continue
        digest.update(relative.encode() + b"\0" + path.read_bytes())
        if relative == WORKER:
            continue
        urls.append("/" if relative == "index.html" else f"/app/{relative}")
    return urls, digest.hexdigest()[:16]
