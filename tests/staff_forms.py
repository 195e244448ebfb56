"""Using the staff pages as a browser would: pages, forms and their tokens."""

from __future__ import annotations

import html
import re
from typing import Any

from quart.typing import TestClientProtocol

from server.auth import hash_password
from server.models import Role, User
from tests.factories import PASSWORD, sign_in

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;"


async def as_staff(client: TestClientProtocol, user: User) -> None:
    await sign_in(client, user)


async def second_agent() -> User:
    """Another agent of the hub, who can sign in."""
    return await User.create(email="agent2@council.test", name="Second Agent",
                             role=Role.HUB_AGENT,
                             password_hash=hash_password(PASSWORD))


async def page(client: TestClientProtocol, path: str) -> tuple[int, str]:
    response = await client.get(path)
    return response.status_code, await response.get_data(as_text=True)


async def csrf(client: TestClientProtocol) -> str:
    """The session's form token, as any staff page carries it."""
    _, text = await page(client, "/staff/sign-in")
    found = CSRF.search(text)
    assert found, "the page has no form token"
    return found.group(1)


async def submit(client: TestClientProtocol, path: str,
                 fields: dict[str, Any] | list[tuple[str, str]] | None = None,
                 token: bool = True) -> tuple[int, str, str | None]:
    """Post a form: the status, the page, and where it sends the browser."""
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields or [])
    form: dict[str, Any] = {}
    for name, value in pairs:
        form[name] = str(value)
    if token:
        form["csrf_token"] = await csrf(client)
    response = await client.post(path, form=form)
    return (response.status_code, await response.get_data(as_text=True),
            response.headers.get("Location"))


def notices(text: str) -> list[str]:
    """The confirmations a page shows, as read."""
    return [html.unescape(found) for found in re.findall(
        r'<div class="notice" role="status"><p>(.*?)</p></div>', text, re.S)]


def error_summary(text: str) -> tuple[str, str] | None:
    """Where the page's error summary points, and what it says."""
    found = re.search(r'class="error-summary".*?<a href="#([^"]+)">(.*?)</a>',
                      text, re.S)
    if found is None:
        return None
    return found.group(1), html.unescape(found.group(2))


def field_error(text: str, field_id: str) -> str | None:
    """The error message shown on a field, if the field is marked wrong."""
    marked = re.search(rf'id="{re.escape(field_id)}"[^>]*aria-invalid="true"'
                       rf'[^>]*aria-describedby="[^"]*{re.escape(field_id)}-error"',
                       text)
    message = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">'
                        r'<span class="visually-hidden">Error:</span> (.*?)</p>',
                        text, re.S)
    if marked is None or message is None:
        return None
    return html.unescape(message.group(1))


def nav_labels(text: str) -> list[str]:
    found = re.search(r'<nav aria-label="Staff pages">(.*?)</nav>', text, re.S)
    if found is None:
        return []
    return re.findall(r"<a [^>]*>([^<]+)</a>", found.group(1))
