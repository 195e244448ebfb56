"""Secrets people type or phones keep: enrollment codes and device tokens.

Both are stored only as hashes. They carry enough randomness that a plain
SHA-256 is the right hash: there is nothing to guess a dictionary from.
"""

from __future__ import annotations

import hashlib
import secrets

# Crockford's base 32: no I, L, O or U, so nothing is misread aloud.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def new_code() -> str:
    """An enrollment code, shown as two groups of four: K7QM-4XRP."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(typed: str) -> str | None:
    """The code as stored, or None when what was typed cannot be a code."""
    cleaned = typed.upper().replace("-", "").replace(" ", "").translate(_LOOKALIKES)
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


def new_device_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
