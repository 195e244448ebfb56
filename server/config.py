"""Settings read from the environment, checked once at start-up."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SETTINGS_DOC = {
    "CASEHUB_DATA_DIR": "Folder for the SQLite database, photos and keys (./data).",
    "CASEHUB_DATABASE_URL": (
        "Database URL: sqlite:///path/to/file.db or postgres://user@host:5432/name "
        "(a SQLite file in the data folder by default)."
    ),
    "CASEHUB_BIND": "Address and port Hypercorn listens on (127.0.0.1:8000).",
    "CASEHUB_PUBLIC_URL": (
        "The address people and phones use to reach casehub (http://127.0.0.1:8000)."
    ),
    "CASEHUB_ENROLLMENT_HOURS": "How long an enrollment code stays valid (72).",
    "CASEHUB_BOOKING_LINK_DAYS": (
        "How long the personal link in a training email lets a member book, "
        "move or cancel, in days (21)."
    ),
    "CASEHUB_HOLIDAYS": "Bank holiday calendar as COUNTRY or COUNTRY-SUBDIV (GB-NIR).",
    "CASEHUB_LOG_LEVEL": "Logging level: DEBUG, INFO, WARNING or ERROR (INFO).",
    "CASEHUB_PUSH_HOSTS": (
        "Comma-separated host suffixes of the push services phones may subscribe "
        "with (fcm.googleapis.com,push.services.mozilla.com,push.apple.com,"
        "notify.windows.com). A loopback address listed here may use http."
    ),
    "CASEHUB_VAPID_CONTACT": (
        "The mailto: or https: contact push services see in every alert (the "
        "public URL when it is https, else mailto:admin@localhost)."
    ),
    "CASEHUB_TIMEZONE": "The council's time zone, for opening hours (Europe/London).",
    "CASEHUB_HUB_HOURS": (
        "The hub's opening hours on working days, HH:MM-HH:MM (08:00-18:00); "
        "acknowledgement targets count only this time."
    ),
    "CASEHUB_MAILBOX": (
        "The members' mailbox address: where members write to the hub, and "
        "the sender of the hub's mail (members@casehub.localhost)."
    ),
    "CASEHUB_SMTP_LISTEN": (
        "HOST:PORT where casehub takes in mail for the members' mailbox and "
        "replies from departments (127.0.0.1:8025), or off."
    ),
    "CASEHUB_SMTP_RELAY": (
        "HOST:PORT of the mail server that delivers casehub's outgoing mail; "
        "unset, mail waits in the outbox until one is set."
    ),
    "CASEHUB_SMTP_USER": (
        "The user casehub signs in to the relay as, with CASEHUB_SMTP_PASSWORD; "
        "then mail goes to the relay only over TLS. Unset, no sign-in."
    ),
    "CASEHUB_SMTP_PASSWORD": (
        "The password for CASEHUB_SMTP_USER; set both or neither."
    ),
    "CASEHUB_MAIL_WORKER": (
        "on or off: whether the server sends queued mail to the relay itself (on). "
        "Turn it off when 'casehub mail-worker' runs separately."
    ),
    "CASEHUB_PLANNED_CONTACTS": (
        "How many contacts a working day the hub is staffed for (750); the "
        "dashboard draws each day against it."
    ),
    "CASEHUB_PHONE_KEEPS_DAYS": (
        "Days a closed or withdrawn case stays on the member's phones before they "
        "delete it (90)."
    ),
    "CASEHUB_RETENTION_DAYS": (
        "Days after a case is closed or withdrawn that its personal details, "
        "photos and files are removed (2190, six years)."
    ),
    "CASEHUB_PUSH_WORKER": (
        "on or off: whether the server sends push alerts itself (on). Turn it off "
        "when 'casehub push-worker' runs separately."
    ),
    "CASEHUB_JOBS": (
        "on or off: whether the server runs its periodic jobs (on): escalating "
        "late cases, training reminders, releasing old cases from phones and "
        "retention."
    ),
}

PUSH_HOSTS = (
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    bind_host: str
    bind_port: int
    public_url: str
    enrollment_hours: int
    holidays_country: str
    holidays_subdiv: str | None
    log_level: str
    push_hosts: tuple[str, ...] = PUSH_HOSTS
    vapid_contact: str = "mailto:admin@localhost"
    push_worker: bool = True
    timezone: str = "Europe/London"
    hub_opens: time = time(8)
    hub_closes: time = time(18)
    mailbox: str = "members@casehub.localhost"
    smtp_listen: tuple[str, int] | None = ("127.0.0.1", 8025)
    smtp_relay: tuple[str, int] | None = None
    booking_link_days: int = 21
    mail_worker: bool = True
    planned_contacts: int = 750
    phone_keeps_days: int = 90
    retention_days: int = 2190
    jobs: bool = True
    # The relay's user and password; kept out of the settings' repr, which
    # may reach a log or a traceback.
    smtp_login: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def photo_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def attachment_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read every setting, raising ConfigError that names the first bad one."""
    env = dict(os.environ if environ is None else environ)

    data_dir = Path(env.get("CASEHUB_DATA_DIR", "data")).resolve()
    database_url = env.get("CASEHUB_DATABASE_URL") or (
        f"sqlite://{data_dir / 'casehub.db'}"
    )
    host, port = _host_port("CASEHUB_BIND", env.get("CASEHUB_BIND",
                                                    "127.0.0.1:8000"))
    opens, closes = _hub_hours(env.get("CASEHUB_HUB_HOURS", "08:00-18:00"))
    public_url = env.get("CASEHUB_PUBLIC_URL") or f"http://{host}:{port}"
    country, subdiv = _parse_holidays(env.get("CASEHUB_HOLIDAYS", "GB-NIR"))
    contact = env.get("CASEHUB_VAPID_CONTACT") or _default_contact(public_url)

    _check_database_url(database_url)
    _check_public_url(public_url)
    _check_vapid_contact(contact)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        bind_host=host,
        bind_port=port,
        public_url=public_url.rstrip("/"),
        enrollment_hours=_positive_int(env, "CASEHUB_ENROLLMENT_HOURS", 72),
        holidays_country=country,
        holidays_subdiv=subdiv,
        log_level=_log_level(env.get("CASEHUB_LOG_LEVEL", "INFO")),
        push_hosts=_push_hosts(env.get("CASEHUB_PUSH_HOSTS")),
        vapid_contact=contact,
        push_worker=_on_or_off(env, "CASEHUB_PUSH_WORKER", True),
        timezone=_timezone(env.get("CASEHUB_TIMEZONE", "Europe/London")),
        hub_opens=opens,
        hub_closes=closes,
        mailbox=_mailbox(env.get("CASEHUB_MAILBOX", "members@casehub.localhost")),
        smtp_listen=_optional_address(env, "CASEHUB_SMTP_LISTEN",
                                      "127.0.0.1:8025"),
        smtp_relay=_optional_address(env, "CASEHUB_SMTP_RELAY", "off"),
        booking_link_days=_positive_int(env, "CASEHUB_BOOKING_LINK_DAYS", 21),
        mail_worker=_on_or_off(env, "CASEHUB_MAIL_WORKER", True),
        jobs=_on_or_off(env, "CASEHUB_JOBS", True),
        smtp_login=_smtp_login(env),
        planned_contacts=_positive_int(env, "CASEHUB_PLANNED_CONTACTS", 750),
        phone_keeps_days=_positive_int(env, "CASEHUB_PHONE_KEEPS_DAYS", 90),
        retention_days=_positive_int(env, "CASEHUB_RETENTION_DAYS", 2190),
    )


def _host_port(name: str, value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdecimal() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"{name} must be HOST:PORT with a port from 1 to 65535, got {value!r}"
        )
    return host.strip("[]"), int(port)


def _optional_address(env: dict[str, str], name: str,
                      default: str) -> tuple[str, int] | None:
    value = env.get(name, default).strip() or "off"
    if value.lower() == "off":
        return None
    return _host_port(name, value)


def _smtp_login(env: dict[str, str]) -> tuple[str, str] | None:
    user = env.get("CASEHUB_SMTP_USER", "").strip()
    password = env.get("CASEHUB_SMTP_PASSWORD", "")
    if not user and not password:
        return None
    if not user:
        # The message never repeats the password.
        raise ConfigError("CASEHUB_SMTP_USER must be set when "
                          "CASEHUB_SMTP_PASSWORD is; set both or neither")
    if not password:
        raise ConfigError(f"CASEHUB_SMTP_PASSWORD must be set when "
                          f"CASEHUB_SMTP_USER is ({user!r}); set both or neither")
    return user, password


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"CASEHUB_TIMEZONE must be an IANA time zone such as Europe/London, "
            f"got {value!r}"
        ) from None
    return value


def _hub_hours(value: str) -> tuple[time, time]:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)",
                         value.strip(), flags=re.ASCII)
    opens = closes = None
    if match:
        opens = time(int(match[1]), int(match[2]))
        closes = time(int(match[3]), int(match[4]))
    if opens is None or closes is None or closes <= opens:
        raise ConfigError(
            "CASEHUB_HUB_HOURS must be HH:MM-HH:MM with the closing time after "
            f"the opening time, for example 08:00-18:00, got {value!r}"
        )
    return opens, closes


def _mailbox(value: str) -> str:
    address = value.strip().lower()
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
        raise ConfigError(
            f"CASEHUB_MAILBOX must be an email address, got {value!r}"
        )
    return address


def _parse_holidays(value: str) -> tuple[str, str | None]:
    country, _, subdiv = value.partition("-")
    if len(country) != 2 or not country.isalpha():
        raise ConfigError(
            f"CASEHUB_HOLIDAYS must be a two-letter country code, optionally "
            f"followed by -SUBDIVISION (for example GB-NIR), got {value!r}"
        )
    return country.upper(), subdiv.upper() or None


def _check_database_url(url: str) -> None:
    scheme = url.split("://", 1)[0]
    if "://" not in url or scheme not in {"sqlite", "postgres", "postgresql"}:
        raise ConfigError(
            "CASEHUB_DATABASE_URL must start with sqlite:// or postgres://, "
            f"got {redact(url)!r}"
        )
    if scheme != "sqlite" and not urlsplit(url).hostname:
        raise ConfigError(
            f"CASEHUB_DATABASE_URL names no database host: {redact(url)!r}"
        )


def _check_public_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(
            f"CASEHUB_PUBLIC_URL must be an http:// or https:// address, got {url!r}"
        )


def _default_contact(public_url: str) -> str:
    if public_url.startswith("https://"):
        return public_url.rstrip("/")
    return "mailto:admin@localhost"


def _check_vapid_contact(contact: str) -> None:
    scheme, _, rest = contact.partition(":")
    if scheme not in {"mailto", "https"} or not rest.strip("/"):
        raise ConfigError(
            "CASEHUB_VAPID_CONTACT must be a mailto: or https: address, "
            f"got {contact!r}"
        )


def _push_hosts(value: str | None) -> tuple[str, ...]:
    if value is None:
        return PUSH_HOSTS
    hosts = tuple(
        host.strip().lower().lstrip(".") for host in value.split(",") if host.strip()
    )
    for host in hosts:
        if "/" in host or ":" in host or " " in host:
            raise ConfigError(
                "CASEHUB_PUSH_HOSTS must list host names or addresses without "
                f"scheme or port, got {host!r}"
            )
    return hosts


def _on_or_off(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "on" if default else "off").strip().lower()
    if raw not in {"on", "off"}:
        raise ConfigError(f"{name} must be on or off, got {raw!r}")
    return raw == "on"


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    if not raw.isdecimal() or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number above 0, got {raw!r}")
    return int(raw)


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(
            f"CASEHUB_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {value!r}"
        )
    return level


def redact(url: str) -> str:
    """Hide a password in a database URL before it reaches a message or a log."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
