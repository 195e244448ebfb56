"""POST requests: a report from a client system becomes a case in the hub's queue.

The case has no member and came in on the web channel; its contact names
the client system as the source, and the reporter is kept as the
constituent, never in a log.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from server import casework
from server.casework import Constituent, Location, NewCase
from server.models import Case, CaseKind, Category, Channel, EventKind
from server.open311 import services
from server.open311.errors import Open311Error, Problems
from server.open311.limits import DESCRIPTION_CHARS
from server.open311.models import Open311Client, Open311Request, Open311Update
from sync.errors import NotYet, Rejected
from sync.feed import Writer, write_transaction

log = logging.getLogger(__name__)

# Longest value kept for each optional field, as the columns hold them.
LENGTHS = {"email": 254, "phone": 40, "address_string": 300, "address_id": 120,
           "account_id": 120, "device_id": 120, "media_url": 2000}
NAME_CHARS = 120


@dataclass(frozen=True)
class Report:
    """A POST request checked field by field, ready to become a case."""

    category: Category
    description: str
    answers: dict[str, Any]
    attributes: dict[str, list[str]]
    location: Location
    constituent: Constituent
    fields: dict[str, str | None]


def param(form: MultiDict[str, str], name: str) -> str | None:
    """A parameter's value; an empty one counts as absent, as the standard says."""
    value = form.get(name, "").strip()
    return value or None


async def read_report(form: MultiDict[str, str]) -> Report:
    """The report a form holds, or every fault it has in one 400 error."""
    category = await services.category_for(param(form, "service_code"))
    problems = Problems()
    fields = {name: param(form, name) for name in LENGTHS}
    for name, most in LENGTHS.items():
        value = fields[name]
        if value and len(value) > most:
            problems.add(f"{name} is longer than {most} characters.")

    description = (form.get("description") or "").strip()
    if len(description) > DESCRIPTION_CHARS:
        problems.add(f"description is longer than {DESCRIPTION_CHARS} "
                     f"characters ({len(description)}).")
    attributes = services.sent_attributes(form)
    answers = services.answers_for(category, attributes, problems)
    location = _location(form, fields, problems)
    constituent = _reporter(form, fields, problems)
    _check_media_url(fields["media_url"], problems)
    problems.raise_any()
    return Report(category, description, answers, attributes, location,
                  constituent, fields)


def _location(form: MultiDict[str, str], fields: dict[str, str | None],
              problems: Problems) -> Location:
    lat, long = param(form, "lat"), param(form, "long")
    address = fields["address_string"]
    if (lat is None) != (long is None):
        problems.add("lat and long must be sent together.")
        return Location()
    if lat is None and address is None and fields["address_id"] is None:
        problems.add("A location is required: lat and long, address_string or "
                     "address_id.")
        return Location()
    if lat is None or long is None:
        return Location(address=address or f"Address {fields['address_id']}")

    latitude = _degrees(lat, "lat", 90, problems)
    longitude = _degrees(long, "long", 180, problems)
    return Location(latitude=latitude, longitude=longitude, address=address)


def _degrees(text: str, name: str, most: float, problems: Problems) -> float | None:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > most:
        problems.add(f"{name} must be a WGS84 number from -{most:g} to {most:g}, "
                     f"got {text!r}.")
        return None
    return value


def _reporter(form: MultiDict[str, str], fields: dict[str, str | None],
              problems: Problems) -> Constituent:
    names = [param(form, "first_name"), param(form, "last_name")]
    name = " ".join(part for part in names if part) or None
    if name and len(name) > NAME_CHARS:
        problems.add(f"first_name and last_name together are longer than "
                     f"{NAME_CHARS} characters.")
    email = fields["email"]
    if email and ("@" not in email or any(c.isspace() for c in email)):
        problems.add(f"email must be an email address, got {email!r}.")
    return Constituent(name=name, phone=fields["phone"], email=email)


def _check_media_url(url: str | None, problems: Problems) -> None:
    if url and not url.lower().startswith(("http://", "https://")):
        problems.add("media_url must be an http:// or https:// address.")


async def create(client: Open311Client, report: Report) -> Case:
    """Raise the case, and keep what came with it beside it."""
    new = NewCase(
        id=uuid.uuid4(),
        kind=CaseKind.SERVICE_REQUEST,
        category_id=report.category.id,
        description=report.description,
        answers=report.answers,
        constituent=report.constituent,
        location=report.location,
        channel=Channel.WEB,
    )
    try:
        async with write_transaction() as writer:
            case = await casework.create_case(writer, None, new,
                                              source=client.name)
            await Open311Request.create(
                case_id=case.id, client_id=client.id, received_at=case.created_at,
                media_url=report.fields["media_url"],
                address_id=report.fields["address_id"],
                account_id=report.fields["account_id"],
                device_id=report.fields["device_id"],
                attributes=report.attributes, using_db=writer.connection,
            )
            if report.fields["media_url"]:
                await _note_media(writer, client, case, report.fields["media_url"])
    except (Rejected, NotYet) as refused:
        raise Open311Error(400, refused.detail) from None
    log.info("case %s came in from Open311 client %s", case.reference, client.id)
    return case


async def _note_media(writer: Writer, client: Open311Client, case: Case,
                      url: str) -> None:
    """Show staff the photo link on the timeline; it is never fetched."""
    event = await casework.add_event(
        writer, case, None, EventKind.NOTE,
        {"text": f"Photo sent with the report: {url}", "via": client.name},
    )
    await Open311Update.create(client_id=client.id, case_id=case.id,
                               event_id=event.id, received_at=event.created_at,
                               using_db=writer.connection)


def notice(case: Case, category: Category) -> str:
    return (f"Logged as {case.reference}. The council's Customer Hub will look "
            f"at it within {category.acknowledge_hours} working hours.")
