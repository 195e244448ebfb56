"""Finding everything held about one constituent, to give them a copy or erase it.

A constituent is found by what a member or the hub wrote down about them:
their email address, phone number, name or address, on any case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.hub.models import Contact
from server.mail.models import Attachment, MailMessage
from server.models import Case, CaseEvent, CasePhoto, Category, User
from server.privacy.erasure import erase_constituent
from sync.feed import write_transaction


@dataclass(frozen=True)
class Who:
    """What the request for a copy or an erasure gives to find the person by."""

    name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""

    def __bool__(self) -> bool:
        return any(part.strip() for part in (self.name, self.email, self.phone,
                                             self.address))


def digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


async def find(who: Who) -> list[tuple[Case, list[str]]]:
    """The cases that hold this person, each with what matched it."""
    found: dict[str, tuple[Case, list[str]]] = {}

    def note(cases: list[Case], why: str) -> None:
        for case in cases:
            found.setdefault(str(case.id), (case, []))[1].append(why)

    if who.email.strip():
        note(await Case.filter(constituent_email__iexact=who.email.strip()), "email")
    if who.name.strip():
        note(await Case.filter(constituent_name__iexact=who.name.strip()), "name")
    if who.address.strip():
        note(await Case.filter(constituent_address__icontains=who.address.strip()),
             "address")
    wanted = digits(who.phone)
    if len(wanted) >= 6:
        with_phone = await Case.filter(constituent_phone__not_isnull=True)
        note([case for case in with_phone
              if digits(case.constituent_phone).endswith(wanted[-9:])], "phone")
    return sorted(found.values(), key=lambda pair: pair[0].created_at)


async def export(who: Who) -> dict[str, Any]:
    """Everything held about the person, as one document."""
    matches = await find(who)
    categories = {category.id: category.name for category in await Category.all()}
    return {
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "searched_for": {key: value for key, value in vars(who).items() if value},
        "cases": [await _case_document(case, why, categories)
                  for case, why in matches],
    }


async def erase(who: Who, actor: User) -> list[str]:
    """Erase the person from every case that holds them; their references."""
    erased = []
    for found, _ in await find(who):
        async with write_transaction() as writer:
            case = await Case.select_for_update().get(id=found.id)
            terms = [who.name, who.email, who.phone, who.address,
                     case.constituent_name or "", case.constituent_email or "",
                     case.constituent_phone or "", case.constituent_address or ""]
            await erase_constituent(writer, case, terms, actor)
        erased.append(found.reference)
    return erased


async def _case_document(case: Case, why: list[str],
                         categories: dict[int, str]) -> dict[str, Any]:
    events = await CaseEvent.filter(case_id=case.id).order_by("created_at")
    authors = {user.id: user.name for user in await User.filter(
        id__in=[event.author_id for event in events if event.author_id])}
    return {
        "reference": case.reference,
        "matched_on": why,
        "status": case.status.value,
        "kind": case.kind.value,
        "category": categories.get(case.category_id or 0),
        "created_at": case.created_at.isoformat(),
        "constituent": {"name": case.constituent_name,
                        "address": case.constituent_address,
                        "phone": case.constituent_phone,
                        "email": case.constituent_email},
        "description": case.description,
        "answers": case.answers,
        "location": {"address": case.address, "latitude": case.latitude,
                     "longitude": case.longitude},
        "timeline": [{"at": event.created_at.isoformat(), "kind": event.kind.value,
                      "by": authors.get(event.author_id or 0), "data": event.data}
                     for event in events],
        "contacts": [{"at": contact.at.isoformat(), "channel": contact.channel.value,
                      "summary": contact.summary, "notes": contact.notes}
                     for contact in await Contact.filter(case_id=case.id)],
        "mail": [{"at": mail.created_at.isoformat(), "direction": mail.direction.value,
                  "from": mail.sender, "to": mail.recipient, "subject": mail.subject,
                  "body": mail.body}
                 for mail in await MailMessage.filter(case_id=case.id)],
        "files": [{"name": found.filename, "type": found.mime, "bytes": found.size}
                  for found in await Attachment.filter(case_id=case.id)],
        "photos": list(await CasePhoto.filter(case_id=case.id).values_list(
            "photo_id", flat=True)),
    }
