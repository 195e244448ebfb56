"""The mutations a phone may send, with the arguments each takes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server import casework
from server.casework import Constituent, Location, NewCase
from server.ids import RowId
from server.models import Case, CaseKind, Priority, Status
from server.notifications import preferences
from server.notifications.models import AlertKind
from server.rollout import feedback
from sync.errors import Rejected
from sync.push import MutationContext, Mutator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                        max_length=5000)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Name = Annotated[str | None, StringConstraints(strip_whitespace=True,
                                                max_length=120)]
Phone = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=40)]
Email = Annotated[str | None, StringConstraints(strip_whitespace=True,
                                                 max_length=254)]
Line = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=300)]
Reason = Annotated[str | None, StringConstraints(strip_whitespace=True,
                                                  max_length=1000)]


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConstituentArgs(Args):
    name: Name = None
    address: Line = None
    phone: Phone = None
    email: Email = None


class LocationArgs(Args):
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    accuracy: float | None = Field(default=None, ge=0, le=100_000)
    address: Line = None


class CreateCase(Args):
    case_id: uuid.UUID
    kind: CaseKind = CaseKind.SERVICE_REQUEST
    category_id: RowId
    description: Text
    answers: dict[str, Any] = Field(default_factory=dict, max_length=20)
    constituent: ConstituentArgs = Field(default_factory=ConstituentArgs)
    location: LocationArgs = Field(default_factory=LocationArgs)
    priority: Priority = Priority.NORMAL
    photos: list[Sha256] = Field(default_factory=list, max_length=casework.MAX_PHOTOS)


class AddNote(Args):
    case_id: uuid.UUID
    event_id: uuid.UUID
    text: Text


class AddPhoto(Args):
    case_id: uuid.UUID
    event_id: uuid.UUID
    sha256: Sha256
    caption: Line = None


class ChangeOwnStatus(Args):
    case_id: uuid.UUID
    event_id: uuid.UUID
    reason: Reason = None


class AlertSettings(Args):
    alerts: dict[AlertKind, bool] = Field(
        min_length=1, description="For each kind of alert, whether to send it."
    )


async def create_case(context: MutationContext, args: CreateCase) -> None:
    located = args.location
    if (located.latitude is None) != (located.longitude is None):
        raise Rejected("location_incomplete",
                       "Give both latitude and longitude, or neither.",
                       field="location")
    await casework.create_case(
        context.writer,
        context.user,
        NewCase(
            id=args.case_id,
            kind=args.kind,
            category_id=args.category_id,
            description=args.description,
            answers=args.answers,
            constituent=Constituent(**args.constituent.model_dump()),
            location=Location(**located.model_dump()),
            priority=args.priority,
            photos=tuple(args.photos),
            client_time=context.mutation.client_time,
        ),
    )


async def add_note(context: MutationContext, args: AddNote) -> None:
    case = await _visible_case(context, args.case_id)
    await casework.add_note(context.writer, case, context.user, args.text,
                            args.event_id, context.mutation.client_time)


async def add_photo(context: MutationContext, args: AddPhoto) -> None:
    case = await _visible_case(context, args.case_id)
    await casework.add_photo(context.writer, case, context.user, args.sha256,
                             args.caption, args.event_id,
                             context.mutation.client_time)


async def withdraw(context: MutationContext, args: ChangeOwnStatus) -> None:
    case = await _visible_case(context, args.case_id)
    await casework.change_status(context.writer, case, context.user,
                                 Status.WITHDRAWN, args.reason, args.event_id,
                                 context.mutation.client_time)


async def reopen(context: MutationContext, args: ChangeOwnStatus) -> None:
    case = await _visible_case(context, args.case_id)
    await casework.change_status(context.writer, case, context.user,
                                 Status.REOPENED, args.reason, args.event_id,
                                 context.mutation.client_time)


async def choose_alerts(context: MutationContext, args: AlertSettings) -> None:
    await preferences.choose(context.writer, context.user.id, args.alerts)


async def _visible_case(context: MutationContext, case_id: uuid.UUID) -> Case:
    key = ("case", case_id)
    if key not in context.writer.cache:
        await _load_cases_of(context)
    if casework.CHECKED_EVENT_IDS not in context.writer.cache:
        await casework.check_event_ids(context.writer,
                                       _ids_of(context, "event_id"))
    case = context.writer.cache.get(key) or await Case.get_or_none(id=case_id)
    context.writer.cache[key] = case
    if case is None or not casework.can_see(context.user, case):
        raise Rejected("case_not_found", "That case is not one of yours.",
                       field="case_id")
    return case


async def _load_cases_of(context: MutationContext) -> None:
    """Read every case the batch names in one query, to share between them."""
    cache = context.writer.cache
    wanted = [case_id for case_id in _ids_of(context, "case_id")
              if ("case", case_id) not in cache]
    found = {case.id: case for case in await Case.filter(id__in=wanted)}
    for case_id in wanted:
        cache[("case", case_id)] = found.get(case_id)


def _ids_of(context: MutationContext, name: str) -> set[uuid.UUID]:
    """The ids the batch's mutations give as argument `name`."""
    ids = set()
    for mutation in context.batch:
        try:
            ids.add(uuid.UUID(str(mutation.args.get(name))))
        except ValueError:
            continue
    return ids


REGISTRY: dict[str, Mutator] = {
    "case.create": Mutator(CreateCase, create_case),
    "case.note": Mutator(AddNote, add_note),
    "case.photo": Mutator(AddPhoto, add_photo),
    "case.withdraw": Mutator(ChangeOwnStatus, withdraw),
    "case.reopen": Mutator(ChangeOwnStatus, reopen),
    "settings.alerts": Mutator(AlertSettings, choose_alerts),
    "feedback.give": Mutator(feedback.GiveFeedback, feedback.give),
}
