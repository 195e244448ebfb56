"""Reference data every phone keeps: categories, departments and wards."""

from __future__ import annotations

from typing import Any

from server.models import Category, Department, Ward
from sync.feed import Audience, Writer

EVERYONE = Audience(public=True)


def category_data(category: Category) -> dict[str, Any]:
    return {
        "id": category.id,
        "code": category.code,
        "name": category.name,
        "department_id": category.department_id,
        "questions": category.questions,
        "acknowledge_hours": category.acknowledge_hours,
        "answer_days": category.answer_days,
        "active": category.active,
    }


def publish_category(writer: Writer, category: Category) -> None:
    writer.record("category", str(category.id), category_data(category), EVERYONE)


def publish_department(writer: Writer, department: Department) -> None:
    writer.record("department", str(department.id),
                  {"id": department.id, "name": department.name}, EVERYONE)


def publish_ward(writer: Writer, ward: Ward) -> None:
    writer.record("ward", str(ward.id), {"id": ward.id, "name": ward.name},
                  EVERYONE)
