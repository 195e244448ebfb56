"""Which push endpoints the server will post to.

The endpoint comes from the phone and the server sends requests to it, so
only the known push services are accepted; anything else could point the
server at the council's own network.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from server.errors import ApiError

MAX_ENDPOINT = 1000


def check_endpoint(endpoint: str, allowed: tuple[str, ...]) -> None:
    """Raise a 422 problem unless the endpoint belongs to an allowed service."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if len(endpoint) > MAX_ENDPOINT or not host or parts.username or parts.password:
        raise ApiError(422, "push_endpoint_invalid",
                       "The push endpoint must be a plain URL of at most "
                       f"{MAX_ENDPOINT} characters.", field="endpoint")
    if not any(_matches(host, suffix) for suffix in allowed):
        raise ApiError(422, "push_service_not_allowed",
                       f"{host} is not a push service this council accepts.",
                       field="endpoint")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and _is_loopback(host):
        return
    raise ApiError(422, "push_endpoint_insecure",
                   "Push endpoints must use https.", field="endpoint")


def _matches(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
