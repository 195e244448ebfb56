"""GET requests: the reports client systems sent, as they stand now.

Only cases that came in through Open311 are listed. Members' casework is
never published here, and neither is a reporter's name, email or phone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from server.models import Case, CaseEvent, Category, EventKind
from server.open311 import intake, services
from server.open311.models import Open311Request, Open311Update
from server.open311.queries import RequestQuery
from server.open311.statuses import CLOSED, UPDATE_KINDS, describe, standard
from server.open311.times import w3c


async def find(query: RequestQuery) -> list[Open311Request]:
    records = Open311Request.all()
    if query.ids is not None:
        # A list of ids overrides every other filter, as the standard says.
        records = records.filter(case__reference__in=query.ids)
    else:
        records = records.filter(received_at__gte=query.window.start,
                                 received_at__lte=query.window.end)
        if query.service_codes is not None:
            records = records.filter(case__category__code__in=query.service_codes)
        if query.statuses is not None:
            records = records.filter(case__status__in=list(query.statuses))
    return await (records.order_by("-received_at", "-id")
                  .offset(query.page.offset).limit(query.page.size)
                  .select_related("case"))


async def find_one(reference: str) -> Open311Request | None:
    return await Open311Request.get_or_none(
        case__reference=reference.upper()).select_related("case")


async def timelines(case_ids: list[str]) -> tuple[dict[str, list[CaseEvent]],
                                                 set[Any]]:
    """Each case's entries that may become updates, oldest first, and the ids
    of those among them a client system wrote itself.
    """
    if not case_ids:
        return {}, set()
    own = set(await Open311Update.filter(case_id__in=case_ids)
              .values_list("event_id", flat=True))
    events = await CaseEvent.filter(case_id__in=case_ids,
                                    kind__in=list(UPDATE_KINDS)).order_by(
        "version", "created_at")
    found: dict[str, list[CaseEvent]] = defaultdict(list)
    for event in events:
        found[str(event.case_id)].append(event)
    return found, own


async def public_timelines(case_ids: list[str]) -> dict[str, list[CaseEvent]]:
    """The entries that are news to the client: not those it wrote itself."""
    found, own = await timelines(case_ids)
    return {case_id: [event for event in events if event.id not in own]
            for case_id, events in found.items()}


async def describe_all(records: list[Open311Request],
                       zone: str) -> list[dict[str, Any]]:
    categories = {category.id: category for category in await Category.all()}
    departments = await services.departments()
    timelines = await public_timelines([str(r.case_id) for r in records])
    return [
        request_fields(record, categories, departments,
                       timelines.get(str(record.case_id), []), zone)
        for record in records
    ]


def request_fields(record: Open311Request, categories: dict[int, Category],
                   departments: dict[int, str], timeline: list[CaseEvent],
                   zone: str) -> dict[str, Any]:
    case: Case = record.case
    category = categories.get(case.category_id) if case.category_id else None
    department_id = case.department_id or (category.department_id
                                           if category else None)
    said = [text for text in map(describe, timeline) if text]
    return {
        "service_request_id": case.reference,
        "status": standard(case.status),
        "status_notes": said[-1] if said else None,
        "service_name": category.name if category else None,
        "service_code": category.code if category else None,
        "description": case.description or None,
        "agency_responsible": departments.get(department_id or 0),
        "service_notice": intake.notice(case, category) if category else None,
        "requested_datetime": w3c(case.created_at, zone),
        "updated_datetime": w3c(_updated(case, timeline), zone),
        "expected_datetime": w3c(case.due_at, zone),
        "address": case.address,
        "address_id": record.address_id,
        "zipcode": None,
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": record.media_url,
    }


def _updated(case: Case, timeline: list[CaseEvent]) -> Any:
    """When it last changed; for a closed request, when it was closed."""
    if case.status not in CLOSED:
        return case.updated_at
    closings = [event.created_at for event in timeline
                if event.kind == EventKind.STATUS_CHANGE
                and event.data.get("to") == case.status.value]
    return closings[-1] if closings else case.updated_at
