"""Checks on text that every store of it needs."""

from __future__ import annotations

from typing import Any


def nul_at(value: Any, where: str = "") -> str | None:
    """Where the arguments hold a NUL character, which PostgreSQL cannot store."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        path = f"{where}.{key}" if where else str(key)
        path = path.replace("\x00", "")
        if "\x00" in str(key):
            return path
        found = nul_at(item, path)
        if found is not None:
            return found
    return None
