"""The audit log: which member of staff read or changed which case, and when.

Every staff request that opens a case, changes one, downloads a file that
came with one, reads the hub's mail, or exports personal data is written
down after it succeeds, whichever page or endpoint it went through. Entries
are never changed; administrators read them at /staff/audit.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from quart import Response, request, session
from tortoise import fields
from tortoise.exceptions import BaseORMException
from tortoise.indexes import Index
from tortoise.models import Model

log = logging.getLogger(__name__)


class Action(StrEnum):
    READ = "read"
    CHANGE = "change"
    EXPORT = "export"


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "casehub.User", related_name="audit_entries", null=True,
        on_delete=fields.SET_NULL,
    )
    action = fields.CharEnumField(Action, max_length=8)
    # What was touched: a case, a file, mail, or a report of personal data.
    subject = fields.CharField(max_length=16)
    reference = fields.CharField(max_length=40, null=True)
    method = fields.CharField(max_length=8)
    path = fields.CharField(max_length=300)
    status = fields.IntField()

    user_id: int | None

    class Meta:
        table = "audit_entries"
        indexes = (
            Index(fields=("reference", "at")),
            Index(fields=("user_id", "at")),
            Index(fields=("at",)),
        )


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    subject: str
    export: bool = False


RULES = (
    Rule(re.compile(r"^/(?:api/)?staff/cases/(CH-\d{6})\b", re.IGNORECASE), "case"),
    Rule(re.compile(r"^/staff/mail/attachments/(\d+)"), "attachment"),
    Rule(re.compile(r"^/staff/mail(?:/(\d+))?(?:/|$)"), "mail"),
    Rule(re.compile(r"^/staff/(members)\.csv$"), "report", export=True),
    Rule(re.compile(r"^/staff/dashboard/(\w+)\.csv$"), "report", export=True),
    Rule(re.compile(r"^/staff/constituents/(export)$"), "constituent", export=True),
    Rule(re.compile(r"^/staff/constituents(?:/(\w+))?$"), "constituent"),
)


def matching(path: str) -> tuple[Rule, str | None] | None:
    for rule in RULES:
        found = rule.pattern.match(path)
        if found:
            reference = found.group(1) if found.groups() else None
            return rule, reference.upper() if reference else None
    return None


async def record_request(response: Response) -> Response:
    """After a staff request that touched personal data, write it down."""
    user_id = session.get("user_id")
    if user_id is None or response.status_code >= 400:
        return response
    found = matching(request.path)
    if found is None:
        return response

    rule, reference = found
    action = (Action.EXPORT if rule.export
              else Action.READ if request.method in ("GET", "HEAD")
              else Action.CHANGE)
    try:
        await AuditEntry.create(
            at=datetime.now(UTC), user_id=int(user_id), action=action,
            subject=rule.subject, reference=reference, method=request.method,
            path=request.path[:300], status=response.status_code,
        )
    except BaseORMException as error:
        # The answer has been worked out; losing it over the log would be worse.
        log.error("could not write the audit entry for %s %s: %s",
                  request.method, request.path, error)
    return response
