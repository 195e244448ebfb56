"""Keeping one client system from flooding the hub's queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.open311.errors import Open311Error
from server.open311.limits import WRITES_PER_MINUTE
from server.open311.models import Open311Client, Open311Request, Open311Update


async def check_writes(client: Open311Client) -> None:
    """Refuse with 429 a client that sent too much in the last minute."""
    since = datetime.now(UTC) - timedelta(minutes=1)
    reports = await Open311Request.filter(client_id=client.id,
                                          received_at__gte=since).count()
    comments = await Open311Update.filter(client_id=client.id,
                                          update_id__isnull=False,
                                          received_at__gte=since).count()
    if reports + comments >= WRITES_PER_MINUTE:
        raise Open311Error(429, f"More than {WRITES_PER_MINUTE} reports and "
                           "updates in a minute; send the rest in a minute.",
                           retry_after=60)
