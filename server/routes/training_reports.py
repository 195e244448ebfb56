"""The team's pages for party briefings, members' feedback and adoption,
each summary with its CSV."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, redirect, url_for
from quart_schema import hide
from werkzeug.wrappers.response import Response as Redirect

from server.auth import current_staff
from server.errors import ApiError
from server.models import Party, User
from server.rollout import access, adoption, briefings, feedback
from server.rollout.times import local_moment
from server.routes.training_pages import (
    form,
    install_page_errors,
    page,
    settings,
    whole,
)

blueprint = Blueprint("training_reports", __name__)
install_page_errors(blueprint)


@blueprint.get("/staff/training/briefings")
@hide
async def briefing_list() -> tuple[str, int]:
    user = await current_staff(*access.TEAM)
    return await _briefings_page(user)


async def _briefings_page(user: User, status: int = 200,
                          **values: Any) -> tuple[str, int]:
    parties = [(party.id, party.name) for party in await Party.all().order_by("name")]
    values.setdefault("entered", {"minutes": "60"})
    return await page("training/briefings.html", user, status, parties=parties,
                      listed=await briefings.listed(), **values)


@blueprint.post("/staff/training/briefings")
@hide
async def schedule() -> Redirect | tuple[str, int]:
    user = await current_staff(*access.TEAM)
    entered = await form()
    try:
        await briefings.schedule(briefings.NewBriefing(
            party_id=whole(entered.get("party", ""), "party"),
            starts_at=local_moment(entered.get("date", ""), entered.get("time", ""),
                                   settings().timezone),
            minutes=whole(entered.get("minutes", ""), "minutes",
                          "Enter the length in minutes, like 60."),
            place=entered.get("place") or None,
            online_url=entered.get("online_url") or None,
        ), user)
    except ApiError as refused:
        return await _briefings_page(user, refused.status, entered=entered,
                                     errors={refused.field or "party":
                                             refused.detail})
    return redirect(url_for("training_reports.briefing_list", done="scheduled"))


@blueprint.post("/staff/training/briefings/<int:briefing_id>/cancel")
@hide
async def cancel(briefing_id: int) -> Redirect:
    await current_staff(*access.TEAM)
    await form()
    await briefings.cancel(briefing_id)
    return redirect(url_for("training_reports.briefing_list", done="unscheduled"))


@blueprint.get("/staff/training/feedback")
@hide
async def feedback_summary() -> tuple[str, int]:
    user = await current_staff(*access.TEAM)
    return await page("training/feedback.html", user,
                      lines=await feedback.summaries(),
                      comments=await feedback.comments())


@blueprint.get("/staff/training/feedback.csv")
@hide
async def feedback_csv() -> Response:
    await current_staff(*access.TEAM)
    return _csv(feedback.csv_text(await feedback.summaries()), "feedback.csv")


@blueprint.get("/staff/training/adoption")
@hide
async def adoption_report() -> tuple[str, int]:
    user = await current_staff(*access.TEAM)
    return await page("training/adoption.html", user,
                      report=await adoption.report(), days=adoption.ACTIVE_DAYS)


@blueprint.get("/staff/training/adoption.csv")
@hide
async def adoption_csv() -> Response:
    await current_staff(*access.TEAM)
    return _csv(adoption.csv_text(await adoption.report()), "adoption.csv")


def _csv(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
