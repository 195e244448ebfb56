"""The addresses casehub takes mail at: the mailbox, and its reply addresses.

Mail about a case is sent with a reply address that carries the case's
reference after a plus sign (members+ch-100123@...), so an answer finds its
case even when the answering mail program drops the threading headers.
"""

from __future__ import annotations

import re

from server.mail import outbox


def reply_address(reference: str) -> str:
    local, _, domain = outbox.sender.address.partition("@")
    return f"{local}+{reference.lower()}@{domain}"


def is_ours(recipient: str) -> bool:
    """Whether casehub takes mail for `recipient`: the mailbox or a reply address."""
    address = recipient.strip().lower()
    return address == outbox.sender.address or reference_in(address) is not None


def reference_in(recipient: str) -> str | None:
    """The case reference a reply address carries, if it is one of ours."""
    local, _, domain = outbox.sender.address.partition("@")
    pattern = rf"{re.escape(local)}\+ch-(\d{{6}})@{re.escape(domain)}"
    found = re.fullmatch(pattern, recipient.strip().lower(), flags=re.ASCII)
    return f"CH-{found[1]}" if found else None
