"""API keys of client systems: issued once, kept as hashes, revocable."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

from server.models import SignInAttempt
from server.open311.errors import Open311Error
from server.open311.limits import BAD_KEY_WINDOW, BAD_KEYS
from server.open311.models import Open311Client
from server.tokens import digest

log = logging.getLogger(__name__)

KEY_PREFIX = "o311_"
NAME_CHARS = 80
SEEN_EVERY = timedelta(minutes=1)


class KeyRefused(ValueError):
    """A key cannot be issued or revoked; the message says why."""


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > NAME_CHARS or not cleaned.isprintable():
        raise KeyRefused(
            f"A client system's name must be 1 to {NAME_CHARS} printable "
            f"characters, got {name!r}."
        )
    return cleaned


async def issue(name: str) -> str:
    """A new key for the named system; a revoked system gets a fresh key.

    The key is returned once: only its hash is stored.
    """
    name = clean_name(name)
    key = new_key()
    moment = datetime.now(UTC)

    client = await Open311Client.get_or_none(name=name)
    if client is not None and client.revoked_at is None:
        raise KeyRefused(f"{name} already has a working key; revoke it first "
                         "to issue another.")
    if client is None:
        client = await Open311Client.create(name=name, key_hash=digest(key),
                                            created_at=moment)
    else:
        client.key_hash = digest(key)
        client.revoked_at = None
        client.created_at = moment
        await client.save()
    log.info("issued an Open311 key for client %s", client.id)
    return key


async def revoke(name: str) -> Open311Client:
    client = await Open311Client.get_or_none(name=clean_name(name))
    if client is None:
        raise KeyRefused(f"No client system is called {name!r}.")
    if client.revoked_at is not None:
        raise KeyRefused(f"{client.name}'s key is already revoked.")

    client.revoked_at = datetime.now(UTC)
    await client.save(update_fields=["revoked_at"])
    log.info("revoked the Open311 key of client %s", client.id)
    return client


async def clients() -> list[Open311Client]:
    return await Open311Client.all().order_by("name")


def describe(found: list[Open311Client]) -> str:
    """The client systems as a table for the terminal; never their keys."""
    if not found:
        return "No client system has an Open311 key.\n"
    lines = [f"{'name':<30} {'issued':<17} {'last used':<17} state"]
    for client in found:
        state = "revoked" if client.revoked_at else "active"
        lines.append(f"{client.name:<30} {_day(client.created_at):<17} "
                     f"{_day(client.last_used_at):<17} {state}")
    return "\n".join(lines) + "\n"


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"


async def client_for(key: str | None, address: str) -> Open311Client:
    """The system a request's api_key belongs to, or a 403 or 429 error."""
    await _check_guesses(address)
    if not key:
        raise Open311Error(403, "api_key is required: send the key the council "
                           "issued to your system as the api_key parameter.")

    client = await Open311Client.get_or_none(key_hash=digest(key))
    if client is None:
        await SignInAttempt.create(kind="open311", key=address)
        raise Open311Error(403, "Invalid api_key received; check the key the "
                           "council issued to your system.")
    if client.revoked_at is not None:
        raise Open311Error(403, "This api_key was revoked; ask the council "
                           "for a new one.")
    await _mark_used(client)
    return client


async def _check_guesses(address: str) -> None:
    since = datetime.now(UTC) - BAD_KEY_WINDOW
    tried = await SignInAttempt.filter(kind="open311", key=address,
                                       at__gte=since).count()
    if tried >= BAD_KEYS:
        log.warning("too many wrong Open311 keys from one address")
        minutes = int(BAD_KEY_WINDOW.total_seconds() // 60)
        raise Open311Error(429, f"Too many wrong api_key values; wait {minutes} "
                           "minutes and try again.",
                           retry_after=minutes * 60)


async def _mark_used(client: Open311Client) -> None:
    moment = datetime.now(UTC)
    if client.last_used_at is None or moment - client.last_used_at > SEEN_EVERY:
        client.last_used_at = moment
        await Open311Client.filter(id=client.id).update(last_used_at=moment)
