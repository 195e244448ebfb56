"""The casehub sync protocol: exactly-once mutations and a change feed.

Nothing here knows about HTTP. The server hands requests in and turns the
results and errors into responses.
"""

PROTOCOL_VERSION = 1
OLDEST_PROTOCOL_VERSION = 1
