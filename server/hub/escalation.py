"""Escalating cases that missed a target to the hub's supervisors.

Each late case gets an escalation on its timeline once, and the supervisors
get one email listing the cases escalated in that round.
"""

from __future__ import annotations

import logging
from datetime import datetime

from server.casework import OPEN
from server.config import Settings
from server.hub import actions, targets
from server.mail import outbox
from server.models import Case, Role, User
from sync.feed import write_transaction

log = logging.getLogger(__name__)


async def escalate_missed(moment: datetime, settings: Settings | None = None) -> int:
    """Escalate every open case past a target; returns how many."""
    escalated: list[tuple[Case, list[str]]] = []
    for found in await actions.cases_to_escalate(moment):
        async with write_transaction() as writer:
            case = await Case.select_for_update().get(id=found.id)
            reasons = targets.missed(case, moment)
            if case.status not in OPEN or case.escalated_at is not None or not reasons:
                continue
            await actions.escalate(writer, case, reasons)
            escalated.append((case, reasons))

    if escalated:
        await _tell_supervisors(escalated, settings)
        log.info("escalated %d cases that missed a target", len(escalated))
    return len(escalated)


async def _tell_supervisors(escalated: list[tuple[Case, list[str]]],
                            settings: Settings | None) -> None:
    supervisors = await User.filter(role=Role.HUB_SUPERVISOR, active=True)
    if not supervisors:
        return
    base = settings.public_url if settings else ""
    lines = [f"{case.reference}: {', '.join(reasons)}\n  {base}/staff/cases/"
             f"{case.reference}" for case, reasons in escalated]
    body = ("These cases missed a target and were escalated to you:\n\n"
            + "\n".join(lines) + "\n")
    subject = (f"{len(escalated)} case escalated" if len(escalated) == 1
               else f"{len(escalated)} cases escalated")
    async with write_transaction() as writer:
        for supervisor in supervisors:
            message = outbox.compose(supervisor.email, subject, body,
                                     to_name=supervisor.name)
            await outbox.queue(writer.connection, message, user_id=supervisor.id)
