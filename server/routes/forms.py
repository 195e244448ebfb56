"""Reading staff forms, and turning what was wrong into a message on the page.

A page shows one problem at a time, on the form and field it belongs to,
with the values that were sent kept in the form, so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from werkzeug.datastructures import MultiDict

from sync.errors import Rejected

E = TypeVar("E", bound=StrEnum)

# Refusals that are not about what was typed.
REJECTION_STATUS = {
    "not_allowed": 403,
    "already_taken": 409,
    "case_finished": 409,
    "status_not_allowed": 409,
    "duplicate_loop": 409,
}


class FormProblem(Exception):
    """What is wrong with a form: the field, what to do about it, and a status.

    `form` names the form on the page and `values` holds what was sent, to
    be shown again.
    """

    def __init__(self, field: str, message: str, status: int = 422,
                 form: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status
        self.form = form
        self.values: Mapping[str, str] = {}


def from_rejection(rejected: Rejected, form: str,
                   fields: Mapping[str, str] | None = None) -> FormProblem:
    """The rules' refusal as a problem on `form`; `fields` renames their fields."""
    name = rejected.field or ""
    name = (fields or {}).get(name, name)
    return FormProblem(name, rejected.detail,
                       REJECTION_STATUS.get(rejected.code, 422), form)


class Reader:
    """Reads the values of one form, raising FormProblem for the first bad one."""

    def __init__(self, values: MultiDict[str, str], form: str) -> None:
        self.values = values
        self.form = form

    def error(self, name: str, message: str, status: int = 422) -> FormProblem:
        return FormProblem(name, message, status, self.form)

    def text(self, name: str, label: str, *, limit: int,
             required: bool = False) -> str:
        value = self.values.get(name, "").strip()
        if required and not value:
            raise self.error(name, f"Enter {label}.")
        if len(value) > limit:
            raise self.error(name, f"{label.capitalize()} has {len(value)} "
                             f"characters; shorten it to {limit} or fewer.")
        return value

    def optional_text(self, name: str, label: str, *, limit: int) -> str | None:
        return self.text(name, label, limit=limit) or None

    def number(self, name: str, label: str, *, low: int, high: int) -> int:
        raw = self.values.get(name, "").strip()
        if not raw.isdecimal() or not low <= int(raw) <= high:
            raise self.error(name, f"Enter {label} as a whole number from "
                             f"{low} to {high}.")
        return int(raw)

    def optional_id(self, name: str, label: str) -> int | None:
        raw = self.values.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdecimal() or len(raw) > 9:
            raise self.error(name, f"Choose {label} from the list.")
        return int(raw)

    def required_id(self, name: str, label: str) -> int:
        found = self.optional_id(name, label)
        if found is None:
            raise self.error(name, f"Choose {label}.")
        return found

    def choice(self, name: str, label: str, kind: type[E]) -> E:
        found = self.optional_choice(name, label, kind)
        if found is None:
            raise self.error(name, f"Choose {label}.")
        return found

    def optional_choice(self, name: str, label: str, kind: type[E]) -> E | None:
        raw = self.values.get(name, "").strip()
        if not raw:
            return None
        try:
            return kind(raw)
        except ValueError:
            raise self.error(name, f"Choose {label} from the list.") from None

    def flag(self, name: str) -> bool:
        return self.values.get(name) in {"1", "on", "yes"}
