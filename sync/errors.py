"""Errors of the sync protocol, each with a stable code.

`SyncError` refuses a whole request. `Rejected` refuses one mutation: it is
recorded, shown to the member, and the mutations behind it go on. `NotYet`
stops a batch without using up the mutation, to be sent again later.
"""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    status = 400

    def __init__(self, code: str, detail: str, status: int | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra
        if status is not None:
            self.status = status


class Rejected(Exception):
    """A mutation that can never be applied; the reason is for the member."""

    def __init__(self, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field


class NotYet(Exception):
    """A mutation that waits on something the device has still to send."""

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra
