"""Sending one alert to one push service, and reading what it answered."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import aiohttp
from pywebpush import WebPushException, webpush_async

from server.notifications import payload
from server.notifications.models import PushSubscription
from server.notifications.vapid import Tokens

# A day: long enough for a phone that is off overnight, short enough that a
# stale alert is not shown the next week.
TTL_SECONDS = 86400
MAX_RETRY_AFTER = timedelta(days=1)


class Result(StrEnum):
    SENT = "sent"
    GONE = "gone"
    LATER = "later"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    result: Result
    reason: str = ""
    retry_after: timedelta | None = None


async def send(session: aiohttp.ClientSession, tokens: Tokens,
               subscription: PushSubscription, message: dict[str, Any],
               case_topic: str, urgency: str, patience: float) -> Outcome:
    """Send once; a push service refusing the size gets the minimal message."""
    outcome = await _post(session, tokens, subscription, message, case_topic,
                          urgency, patience)
    if outcome.reason != "413":
        return outcome
    return await _post(session, tokens, subscription, payload.minimal(message),
                       case_topic, urgency, patience)


async def _post(session: aiohttp.ClientSession, tokens: Tokens,
                subscription: PushSubscription, message: dict[str, Any],
                case_topic: str, urgency: str, patience: float) -> Outcome:
    body = json.dumps(message, separators=(",", ":"))
    payload.check_size(body.encode())
    try:
        await webpush_async(
            {"endpoint": subscription.endpoint,
             "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
            data=body,
            ttl=TTL_SECONDS,
            headers={"Authorization": tokens.header(subscription.endpoint),
                     "Urgency": urgency, "Topic": case_topic},
            aiohttp_session=session,
            timeout=patience,
        )
    except WebPushException as error:
        return _refused(error, subscription.endpoint)
    except (aiohttp.ClientError, TimeoutError) as error:
        return Outcome(Result.FAILED, f"network: {type(error).__name__}")
    return Outcome(Result.SENT)


def _refused(error: WebPushException, endpoint: str) -> Outcome:
    response = error.response
    if response is None:
        return Outcome(Result.FAILED, str(error)[:200])
    status = int(response.status)
    if status in (404, 410):
        return Outcome(Result.GONE, str(status))
    if status == 413:
        return Outcome(Result.FAILED, "413")
    # Windows' push service says "slow down" with 406.
    slow_down = status in (429, 503) or (
        status == 406 and ".notify.windows.com" in endpoint
    )
    if slow_down:
        wait = retry_after(response.headers.get("Retry-After"))
        return Outcome(Result.LATER, str(status), wait)
    return Outcome(Result.FAILED, f"{status} {response.reason or ''}".strip())


def retry_after(value: str | None, now: datetime | None = None) -> timedelta | None:
    """Read Retry-After as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = when - (now or datetime.now(UTC))
    return max(timedelta(0), min(wait, MAX_RETRY_AFTER))


def backoff(attempts: int, base: float) -> timedelta:
    """Exponential back-off with jitter, so retries from a batch spread out."""
    seconds = base * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=seconds * random.uniform(0.5, 1.0))
