"""Building the Quart app: configuration, database, routes and errors."""

from __future__ import annotations

import logging
from datetime import timedelta

from quart import Quart, Response, request
from quart_schema import Info, QuartSchema

from server import audit, jobs, workdays
from server.config import Settings, load_settings
from server.db import close_database, open_database, server_key
from server.errors import register_error_handlers
from server.ids import RowIdConverter
from server.mail import inbound, links
from server.mail import outbox as mail_outbox
from server.mail import worker as mail_worker
from server.notifications import worker as push_worker
from server.openapi import SECURITY_SCHEMES, RequiredBodyProvider
from server.routes import (
    call_pages,
    case_pages,
    dashboard_pages,
    devices,
    hub_pages,
    mail_pages,
    open311,
    pages,
    photos,
    privacy_pages,
    push,
    settings_pages,
    staff,
    staff_pages,
    sync_api,
    training_api,
    training_links,
    training_pages,
    training_reports,
    training_support,
)

log = logging.getLogger(__name__)

VERSION = "0.1.0"
MAX_BODY = 12 * 1024 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
}


PRIVATE_PATHS = ("/api/", "/staff/", "/training/", "/mail/")


def create_app(settings: Settings | None = None) -> Quart:
    settings = settings or load_settings()
    app = Quart(__name__)
    app.url_map.converters["int"] = RowIdConverter
    app.config.update(
        SETTINGS=settings,
        VERSION=VERSION,
        MAX_CONTENT_LENGTH=MAX_BODY,
        SESSION_COOKIE_NAME="casehub_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
    )
    QuartSchema(
        app,
        info=Info(title="casehub", version=VERSION,
                  description="Sync, devices and casework for casehub."),
        openapi_provider_class=RequiredBodyProvider,
        security_schemes=SECURITY_SCHEMES,
        swagger_ui_path=None,
        redoc_ui_path=None,
        scalar_ui_path=None,
    )
    register_error_handlers(app)
    for module in (sync_api, devices, photos, push, staff, staff_pages, hub_pages,
                   case_pages, call_pages, settings_pages, mail_pages,
                   dashboard_pages, training_api, training_pages, training_support,
                   training_reports, training_links, privacy_pages, open311,
                   pages):
        app.register_blueprint(module.blueprint)

    @app.before_serving
    async def startup() -> None:
        await open_database(settings)
        workdays.configure_from(settings)
        mail_outbox.configure(settings.mailbox)
        links.configure(settings.public_url)
        app.config["CURSOR_KEY"] = await server_key("cursor")
        app.secret_key = (await server_key("session")).hex()
        app.config["MAIL_SERVER"] = await inbound.start(settings)
        app.config["PUSH_WORKER"] = push_worker.start(settings)
        app.config["MAIL_WORKER"] = mail_worker.start(settings)
        app.config["JOBS"] = jobs.start(settings) if settings.jobs else None
        log.info("casehub %s serving at %s", VERSION, settings.public_url)

    @app.after_serving
    async def shutdown() -> None:
        await inbound.stop(app.config.get("MAIL_SERVER"))
        if app.config.get("JOBS"):
            await app.config["JOBS"].stop()
        await push_worker.stop(app.config.get("PUSH_WORKER"))
        await mail_worker.stop(app.config.get("MAIL_WORKER"))
        await close_database()

    app.after_request(audit.record_request)

    @app.after_request
    async def secure(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith(PRIVATE_PATHS):
            # Casework and people's details stay out of shared caches, and
            # out of a browser's history once its user has signed out.
            response.headers.setdefault("Cache-Control", "no-store")
        if settings.public_url.startswith("https://"):
            # Once a browser has reached casehub over https, never plain http.
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000")
        return response

    return app
