"""Times as the standard writes them: W3C-DTF, always with a time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# A '+' left unescaped in a query string arrives as a space.
SPACED_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:\d{2})$")
W3C = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})",
    flags=re.ASCII,
)


class NotATime(ValueError):
    """The text is not a W3C-DTF date and time with a time zone."""


def w3c(moment: datetime | None, zone: str) -> str | None:
    """The moment in the council's time zone, to the second, with its offset."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(zone)).replace(microsecond=0)
    return local.isoformat()


def parse_w3c(text: str) -> datetime:
    """A W3C-DTF time such as 2026-11-30T09:15:00Z, as an aware datetime in UTC."""
    cleaned = SPACED_OFFSET.sub(r"\1+\2", text.strip())
    if not W3C.fullmatch(cleaned):
        raise NotATime(text)
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise NotATime(text) from None
    return moment.astimezone(UTC)
