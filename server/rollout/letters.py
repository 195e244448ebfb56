"""The emails members get about their training, each with its personal link."""

from __future__ import annotations

from email.message import EmailMessage

from server.mail.outbox import compose
from server.models import User
from server.rollout.invitation import Meeting, Method, part
from server.rollout.models import TrainingSlot
from server.rollout.times import short, spoken

SIGN_OFF = "Digital Services, for the Customer Hub"


def invite_to_book(member: User, link: str) -> EmailMessage:
    body = (
        f"Dear {member.name},\n\n"
        "The council is putting casehub, the app for raising and following "
        "casework, on every member's phone. One of our trainers will set it "
        "up with you in about half an hour.\n\n"
        f"Choose a time that suits you here:\n{link}\n\n"
        "The same link lets you move or cancel later. It is yours alone: "
        "please do not forward it.\n\n"
        f"{SIGN_OFF}\n"
    )
    return compose(member.email, "Book your casehub training", body,
                   to_name=member.name)


def confirmation(meeting: Meeting, zone: str, moved: bool) -> EmailMessage:
    slot = meeting.slot
    when = spoken(slot.starts_at, zone)
    opening = "Your training has moved. It is now" if moved else (
        "Your casehub training is booked for")
    body = (
        f"Dear {meeting.member.name},\n\n"
        f"{opening} {when}, for {slot.minutes} minutes, with "
        f"{meeting.trainer.name}.\n\n"
        f"{_where(slot)}\n\n"
        "Bring the phone you will use casehub on, charged, and its passcode. "
        "The invitation attached puts it in your calendar.\n\n"
        f"To move or cancel: {meeting.link}\n\n"
        f"{SIGN_OFF}\n"
    )
    subject = ("Training moved: " if moved else "Training booked: ") + short(
        slot.starts_at, zone)
    return compose(meeting.member.email, subject, body,
                   parts=[part(meeting, Method.REQUEST, zone)],
                   to_name=meeting.member.name)


def cancellation(meeting: Meeting, zone: str, by_trainer: bool) -> EmailMessage:
    slot = meeting.slot
    reason = ("Your trainer can no longer run the session on" if by_trainer
              else "Your training is cancelled: the session on")
    body = (
        f"Dear {meeting.member.name},\n\n"
        f"{reason} {spoken(slot.starts_at, zone)}"
        f"{'' if by_trainer else ' will not take place'}. Sorry for any "
        "trouble.\n\n"
        f"Book another time here: {meeting.link}\n\n"
        f"{SIGN_OFF}\n"
    )
    return compose(meeting.member.email,
                   f"Training cancelled: {short(slot.starts_at, zone)}", body,
                   parts=[part(meeting, Method.CANCEL, zone)],
                   to_name=meeting.member.name)


def reminder(meeting: Meeting, zone: str) -> EmailMessage:
    slot = meeting.slot
    body = (
        f"Dear {meeting.member.name},\n\n"
        f"A reminder: your casehub training is on {spoken(slot.starts_at, zone)}"
        f", with {meeting.trainer.name}.\n\n"
        f"{_where(slot)}\n\n"
        "Bring the phone you will use casehub on, charged, and its passcode.\n\n"
        f"To move or cancel: {meeting.link}\n\n"
        f"{SIGN_OFF}\n"
    )
    return compose(meeting.member.email,
                   f"Tomorrow: casehub training at {short(slot.starts_at, zone)}",
                   body, to_name=meeting.member.name)


def _where(slot: TrainingSlot) -> str:
    if slot.online_url and slot.place:
        return f"Where: {slot.place}, or online at {slot.online_url}"
    if slot.online_url:
        return f"Where: online, at {slot.online_url}"
    return f"Where: {slot.place}"
