"""The retention period: personal details leave cases finished long ago."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from server.casework import FINISHED
from server.config import Settings
from server.models import Case
from server.privacy.erasure import anonymise
from sync.feed import write_transaction

log = logging.getLogger(__name__)

BATCH = 100


async def apply_retention(moment: datetime, settings: Settings) -> int:
    """Anonymise cases finished more than the retention period ago."""
    cutoff = moment - timedelta(days=settings.retention_days)
    done = 0
    while True:
        found = await Case.filter(status__in=list(FINISHED), updated_at__lt=cutoff,
                                  anonymised_at__isnull=True).limit(BATCH)
        if not found:
            break
        for candidate in found:
            async with write_transaction() as writer:
                case = await Case.select_for_update().get(id=candidate.id)
                if case.anonymised_at is not None:
                    # Another instance's round got there first.
                    continue
                if case.member_id is not None and case.released_at is None:
                    # Off the phones first, in the same step.
                    case.released_at = moment
                await anonymise(writer, case, settings)
            done += 1
    if done:
        log.info("removed the personal details of %d cases past retention", done)
    return done
