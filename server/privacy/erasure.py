"""Removing personal details from a case: on a constituent's request, or at the
end of the retention period.

A case stays as a record (its reference, category, dates and statuses, for
the hub's figures), but the people in it go: the constituent's details, the
words that name them in the description, the timeline and the mail, and, at
the end of retention, the photos and files too. The feed is rewritten so that
no earlier state of the case still holds what was removed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.case_feed import publish_case, republish_events, timeline
from server.config import Settings
from server.hub.models import Contact
from server.mail import attachments as mail_files
from server.mail.models import Attachment, MailMessage
from server.models import Case, CaseEvent, CasePhoto, EventKind, Photo, User
from server.open311.models import Open311Request
from server.photos import path_for
from server.privacy.release import record_release
from sync.feed import Writer
from sync.models import Change

log = logging.getLogger(__name__)

ERASED = "[erased]"
RETIRED = "Removed at the end of the retention period."

Redact = Callable[[str], str]


def redactor(terms: list[str]) -> Redact:
    """Replace every appearance of the given details, in any letter case."""
    wanted = sorted({term.strip() for term in terms if len(term.strip()) >= 3},
                    key=len, reverse=True)
    if not wanted:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(term) for term in wanted), re.IGNORECASE)
    return lambda text: pattern.sub(ERASED, text)


async def erase_constituent(writer: Writer, case: Case, terms: list[str],
                            actor: User) -> None:
    """Take one constituent's details out of a case, on their request."""
    redact = redactor(terms)
    _clear_constituent(case)
    case.description = redact(case.description)
    case.answers = _redact_json(case.answers, redact)
    await _redact_timeline(writer, case, redact)
    await _redact_mail(case, redact)
    await _redact_contacts(case, redact)
    await _redact_open311(case, redact)
    await _note(writer, case, actor, "The personal details of a constituent were "
                "erased from this case on their request.")
    await _rewrite_feed(writer, case)


async def anonymise(writer: Writer, case: Case, settings: Settings) -> None:
    """Strip a long-finished case of everything personal, files included."""
    retire: Redact = lambda text: RETIRED if text else text  # noqa: E731
    _clear_constituent(case)
    case.description = RETIRED
    case.answers = {}
    case.address = case.latitude = case.longitude = case.location_accuracy = None
    case.anonymised_at = datetime.now(UTC)
    await _redact_timeline(writer, case, retire)
    await _redact_mail(case, retire)
    await _redact_contacts(case, retire)
    await _redact_open311(case, retire)
    await _drop_photos(case, settings.photo_dir)
    await _drop_attachments(case, settings)
    await _rewrite_feed(writer, case)


def _clear_constituent(case: Case) -> None:
    case.constituent_name = case.constituent_email = None
    case.constituent_phone = case.constituent_address = None


def _redact_json(value: Any, redact: Redact) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_json(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_json(item, redact) for item in value]
    return value


async def _redact_timeline(writer: Writer, case: Case, redact: Redact) -> None:
    for event in await timeline(writer, case):
        data = _redact_json(event.data, redact)
        if data != event.data:
            # The one exception to a timeline never changing: the law's.
            event.data = data
            await CaseEvent.filter(id=event.id).update(data=data)


async def _redact_mail(case: Case, redact: Redact) -> None:
    for mail in await MailMessage.filter(case_id=case.id):
        mail.subject = redact(mail.subject)[:300]
        mail.body = redact(mail.body)
        mail.source = redact(mail.source)
        await mail.save(update_fields=["subject", "body", "source"])


async def _redact_contacts(case: Case, redact: Redact) -> None:
    for contact in await Contact.filter(case_id=case.id):
        contact.summary = redact(contact.summary)[:300]
        contact.notes = redact(contact.notes) if contact.notes else contact.notes
        await contact.save(update_fields=["summary", "notes"])


async def _redact_open311(case: Case, redact: Redact) -> None:
    request = await Open311Request.get_or_none(case_id=case.id)
    if request is None:
        return
    request.attributes = _redact_json(request.attributes, redact)
    if request.media_url and redact(request.media_url) != request.media_url:
        request.media_url = None
    await request.save(update_fields=["attributes", "media_url"])


async def _drop_photos(case: Case, photo_root: Path) -> None:
    links = await CasePhoto.filter(case_id=case.id)
    hashes = {link.photo_id for link in links}
    await CasePhoto.filter(case_id=case.id).delete()
    still_used = set(await CasePhoto.filter(photo_id__in=list(hashes)).values_list(
        "photo_id", flat=True))
    for sha256 in hashes - {str(used) for used in still_used}:
        await Photo.filter(sha256=sha256).delete()
        path_for(photo_root, sha256).unlink(missing_ok=True)


async def _drop_attachments(case: Case, settings: Settings) -> None:
    files = await Attachment.filter(case_id=case.id)
    await Attachment.filter(case_id=case.id).delete()
    for found in files:
        if not await Attachment.exists(sha256=found.sha256):
            mail_files.path_for(settings, found.sha256).unlink(missing_ok=True)


async def _note(writer: Writer, case: Case, actor: User, text: str) -> None:
    from server.casework import add_event

    await add_event(writer, case, actor, EventKind.INTERNAL_NOTE, {"text": text})


async def _rewrite_feed(writer: Writer, case: Case) -> None:
    """Put the case's present state on the feed and drop every earlier state.

    A feed entry holds the whole state of its entity, so once the newest is
    written the older ones can go: a phone behind them reads the newest. A
    case the phones have let go stays gone: only its release is written again.
    """
    await case.save()
    if case.released_at is not None:
        record_release(writer, case)
    else:
        await publish_case(writer, case)
        await republish_events(writer, case)
    events = await timeline(writer, case)
    ids = [str(case.id), *(str(event.id) for event in events)]
    removed = await Change.filter(entity__in=["case", "event", "release"],
                                  entity_id__in=ids,
                                  version__lt=writer.version).delete()
    log.info("rewrote the feed of case %s, dropping %d earlier entries",
             case.reference, removed)
