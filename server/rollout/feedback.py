"""Members' feedback on the hub and on the app: the `feedback.give` mutation,
and the summaries the team reads, per party and overall."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from tortoise.expressions import Q

from server.models import Party, Role
from server.rollout.models import Briefing, Feedback
from sync.errors import Rejected
from sync.feed import Audience
from sync.push import MutationContext

Comment = Annotated[str | None, StringConstraints(strip_whitespace=True,
                                                   max_length=2000)]
Rating = Annotated[int, Field(ge=1, le=5)]


class GiveFeedback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feedback_id: uuid.UUID
    briefing_id: int | None = None
    hub_rating: Rating
    hub_comment: Comment = None
    app_rating: Rating
    app_comment: Comment = None


async def give(context: MutationContext, args: GiveFeedback) -> None:
    member = context.user
    connection = context.writer.connection
    if member.role != Role.MEMBER:
        raise Rejected("not_a_member", "Only elected members give feedback here.")
    if await Feedback.exists(id=args.feedback_id, using_db=connection):
        raise Rejected("feedback_exists", "This feedback was already sent.",
                       field="feedback_id")
    if args.briefing_id is not None and not await Briefing.exists(
        id=args.briefing_id, party_id=member.party_id, using_db=connection,
    ):
        raise Rejected("unknown_briefing", "That is not one of your party's "
                       "briefings.", field="briefing_id")

    given = await Feedback.create(
        id=args.feedback_id, member_id=member.id, party_id=member.party_id,
        briefing_id=args.briefing_id, hub_rating=args.hub_rating,
        hub_comment=args.hub_comment or None, app_rating=args.app_rating,
        app_comment=args.app_comment or None,
        created_at=datetime.now(UTC),
        client_created_at=context.mutation.client_time, using_db=connection,
    )
    context.writer.record("feedback", str(given.id), {
        "id": str(given.id), "briefing_id": given.briefing_id,
        "hub_rating": given.hub_rating, "hub_comment": given.hub_comment,
        "app_rating": given.app_rating, "app_comment": given.app_comment,
        "created_at": given.created_at.isoformat(),
    }, Audience(member_id=member.id, personal=True))


@dataclass(frozen=True)
class Summary:
    group: str
    responses: int
    hub_average: float | None
    app_average: float | None


async def summaries() -> list[Summary]:
    """One line per party that gave feedback, then every party together."""
    parties = {party.id: party.name for party in await Party.all()}
    given = await Feedback.all().values_list("party_id", "hub_rating", "app_rating")
    groups: dict[str, list[tuple[int, int]]] = {}
    for party_id, hub, app in given:
        name = parties.get(party_id, "No party")
        groups.setdefault(name, []).append((hub, app))
    lines = [_summary(name, ratings) for name, ratings in sorted(groups.items())]
    lines.append(_summary("All parties", [(hub, app) for _, hub, app in given]))
    return lines


def _summary(group: str, ratings: list[tuple[int, int]]) -> Summary:
    if not ratings:
        return Summary(group, 0, None, None)
    count = len(ratings)
    return Summary(group, count,
                   round(sum(hub for hub, _ in ratings) / count, 2),
                   round(sum(app for _, app in ratings) / count, 2))


async def comments(limit: int = 100) -> list[Feedback]:
    """The latest feedback that has a comment, with its party."""
    found = await Feedback.filter(
        Q(hub_comment__isnull=False) | Q(app_comment__isnull=False)
    ).order_by("-created_at").limit(limit).prefetch_related("party")
    return list(found)


def csv_text(lines: list[Summary]) -> str:
    out = io.StringIO()
    table = csv.writer(out)
    table.writerow(["party", "responses", "hub_average", "app_average"])
    for line in lines:
        table.writerow([line.group, line.responses,
                        "" if line.hub_average is None else line.hub_average,
                        "" if line.app_average is None else line.app_average])
    return out.getvalue()
