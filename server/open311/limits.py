"""How much one client may send, and how much one answer may hold."""

from __future__ import annotations

from datetime import timedelta

# A report is a few kilobytes of form fields; photos come as links.
MAX_BODY = 128 * 1024
MAX_FORM_PARTS = 200
DESCRIPTION_CHARS = 4000
ANSWER_CHARS = 1000
# Reports and comments one client may send in a minute, before 429.
WRITES_PER_MINUTE = 120
# Wrong keys one address may try in a quarter of an hour, before 429.
BAD_KEYS = 20
BAD_KEY_WINDOW = timedelta(minutes=15)
# What GET requests and GET servicerequestupdates answer at most.
MAX_SPAN = timedelta(days=90)
UPDATES_SPAN = timedelta(days=1)
PAGE_SIZE = 1000
