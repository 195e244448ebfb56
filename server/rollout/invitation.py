"""Calendar invitations for bookings, as iCalendar (RFC 5545) files.

Each booking keeps one UID from first booking to cancellation, so a
calendar updates the same entry: a move is a REQUEST with a higher
SEQUENCE, a cancellation a CANCEL with a higher one still. Times are
written in the council's time zone with its VTIMEZONE, so a phone abroad
still shows the right local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from icalendar import Calendar, Event, vCalAddress, vText

from server.mail.outbox import Part, sender
from server.models import User
from server.rollout.models import Booking, TrainingSlot
from server.rollout.times import in_zone

PRODUCT = "-//casehub//training slots//EN"
FILENAME = "casehub-training.ics"


class Method(StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class Meeting:
    booking: Booking
    slot: TrainingSlot
    member: User
    trainer: User
    link: str


def uid(booking: Booking) -> str:
    return f"training-{booking.id}@{sender.domain}"


def invitation(meeting: Meeting, method: Method, zone: str) -> bytes:
    slot = meeting.slot
    start = in_zone(slot.starts_at, zone)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", method.value)

    event = Event()
    event.add("uid", uid(meeting.booking))
    event.add("sequence", meeting.booking.sequence)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=slot.minutes))
    event.add("summary", f"casehub training with {meeting.trainer.name}")
    event.add("location", slot.place or "Online")
    if slot.online_url:
        event.add("url", slot.online_url)
    event.add("description", _description(meeting))
    event.add("status", "CANCELLED" if method == Method.CANCEL else "CONFIRMED")
    event["organizer"] = _address(sender.address, sender.name)
    attendee = _address(meeting.member.email, meeting.member.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    # Only the rules around the slot, not every change since 1970.
    calendar.add_missing_timezones(first_date=start.date() - timedelta(days=366),
                                   last_date=start.date() + timedelta(days=366))
    return bytes(calendar.to_ical())


def part(meeting: Meeting, method: Method, zone: str) -> Part:
    return Part(FILENAME, "text/calendar", invitation(meeting, method, zone))


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    return address


def _description(meeting: Meeting) -> str:
    lines = ["Bring the phone you will use casehub on, charged, and its passcode."]
    if meeting.slot.online_url:
        lines.append(f"Join online: {meeting.slot.online_url}")
    lines.append(f"Move or cancel: {meeting.link}")
    return "\n".join(lines)
