"""Finished cases leave the members' phones after a while.

A phone holds constituents' details, and a lost phone should hold as few as
it can. Once a case has been closed or withdrawn for the set number of days,
the member's feed carries a `release` of it, and the app deletes the case, its
timeline and its photos. Reopening the case puts it all back on the phone.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from server.casework import FINISHED
from server.models import Case
from sync.feed import Audience, Writer, write_transaction

log = logging.getLogger(__name__)

BATCH = 200


async def release_finished(moment: datetime, keep_days: int) -> int:
    """Tell phones to let go of cases finished more than `keep_days` ago."""
    cutoff = moment - timedelta(days=keep_days)
    released = 0
    while True:
        cases = await Case.filter(
            status__in=list(FINISHED), updated_at__lt=cutoff,
            released_at__isnull=True, member_id__not_isnull=True,
        ).order_by("updated_at").limit(BATCH)
        if not cases:
            break
        async with write_transaction() as writer:
            for case in cases:
                record_release(writer, case)
            await Case.filter(id__in=[case.id for case in cases]).update(
                released_at=moment)
        released += len(cases)
    if released:
        log.info("released %d finished cases from members' phones", released)
    return released


def record_release(writer: Writer, case: Case) -> None:
    writer.record("release", str(case.id), {"case_id": str(case.id)},
                  Audience(member_id=case.member_id))

