"""The data protection pages: the audit log, and a constituent's copy or erasure.

Administrators read the audit log. Requests from a constituent for a copy of
what the council holds about them, or for its erasure, are the hub
supervisors' and administrators' to act on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from quart import Blueprint, Response, flash, redirect, request, url_for
from quart_schema import hide
from werkzeug.wrappers.response import Response as Redirect

from server.audit import AuditEntry
from server.auth import current_staff
from server.csrf import check_csrf
from server.models import Role, User
from server.privacy import constituents
from server.privacy.constituents import Who
from server.routes.forms import FormProblem
from server.routes.nav import LEADS
from server.routes.rendering import page, serve_pages

log = logging.getLogger(__name__)

blueprint = Blueprint("privacy_pages", __name__)
serve_pages(blueprint)

AUDIT_PAGE = 200


@blueprint.get("/staff/audit")
@hide
async def audit_page() -> tuple[str, int]:
    user = await current_staff(Role.ADMIN)
    reference = request.args.get("reference", "").strip().upper()[:40]
    staff_id = request.args.get("user", "")
    entries = AuditEntry.all().order_by("-id")
    if reference:
        entries = entries.filter(reference=reference)
    if staff_id.isdecimal():
        entries = entries.filter(user_id=int(staff_id))
    found = await entries.limit(AUDIT_PAGE).prefetch_related("user")
    staff = await User.exclude(role=Role.MEMBER).order_by("name")
    return await page("audit.html", user, entries=found, staff=staff,
                      reference=reference, chosen=staff_id, limit=AUDIT_PAGE)


@blueprint.get("/staff/constituents")
@hide
async def constituents_page() -> tuple[str, int]:
    user = await current_staff(*LEADS)
    who = _who(request.args)
    if request.args and not who:
        return await _nothing_to_search(user, who)
    matches = await constituents.find(who) if who else []
    return await page("constituents.html", user, who=who, matches=matches,
                      searched=bool(who))


@blueprint.get("/staff/constituents/export")
@hide
async def export() -> Response | tuple[str, int]:
    user = await current_staff(*LEADS)
    who = _who(request.args)
    if not who:
        return await _nothing_to_search(user, who)
    document = await constituents.export(who)
    log.info("staff user %s exported %d cases for a constituent", user.id,
             len(document["cases"]))
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    response = Response(json.dumps(document, indent=2, ensure_ascii=False),
                        mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="constituent-{day}.json"')
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/staff/constituents/erase")
@hide
async def erase() -> Redirect | tuple[str, int]:
    await check_csrf()
    user = await current_staff(*LEADS)
    form = await request.form
    who = _who(form)
    if not who:
        return await _nothing_to_search(user, who)
    if form.get("confirm") != "yes":
        problem = FormProblem("confirm", "Tick the box to confirm the erasure: it "
                              "cannot be undone.", 422, "erase")
        matches = await constituents.find(who)
        return await page("constituents.html", user, 422, problem, who=who,
                          matches=matches, searched=True)

    erased = await constituents.erase(who, user)
    log.info("staff user %s erased a constituent from %d cases", user.id,
             len(erased))
    await flash(f"Erased from {len(erased)} case{'s' if len(erased) != 1 else ''}"
                f"{': ' + ', '.join(erased) if erased else ''}.")
    return redirect(url_for("privacy_pages.constituents_page"))


def _who(values: Mapping[str, str]) -> Who:
    return Who(name=values.get("name", "")[:120].strip(),
               email=values.get("email", "")[:254].strip(),
               phone=values.get("phone", "")[:40].strip(),
               address=values.get("address", "")[:300].strip())


async def _nothing_to_search(user: User, who: Who) -> tuple[str, int]:
    problem = FormProblem("name", "Give at least one of the constituent's name, "
                          "email address, phone number or address.", 422, "search")
    return await page("constituents.html", user, 422, problem, who=who, matches=[],
                      searched=False)
