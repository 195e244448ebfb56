"""Settings are checked once at start-up, and a bad one is named."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from server.config import ConfigError, load_settings

PROJECT = Path(__file__).resolve().parents[1]

BAD_SETTINGS = [
    ("CASEHUB_BIND", "localhost"),
    ("CASEHUB_BIND", ":8000"),
    ("CASEHUB_BIND", "127.0.0.1:"),
    ("CASEHUB_BIND", "127.0.0.1:0"),
    ("CASEHUB_BIND", "127.0.0.1:65536"),
    ("CASEHUB_BIND", "127.0.0.1:http"),
    ("CASEHUB_BIND", "127.0.0.1:²"),
    ("CASEHUB_DATABASE_URL", "mysql://db.council.test/casehub"),
    ("CASEHUB_DATABASE_URL", "casehub.db"),
    ("CASEHUB_DATABASE_URL", "postgres:///casehub"),
    ("CASEHUB_PUBLIC_URL", "ftp://casehub.council.test"),
    ("CASEHUB_PUBLIC_URL", "casehub.council.test"),
    ("CASEHUB_PUBLIC_URL", "https://"),
    ("CASEHUB_HOLIDAYS", "GBR"),
    ("CASEHUB_HOLIDAYS", "G1"),
    ("CASEHUB_HOLIDAYS", ""),
    ("CASEHUB_ENROLLMENT_HOURS", "0"),
    ("CASEHUB_ENROLLMENT_HOURS", "-5"),
    ("CASEHUB_ENROLLMENT_HOURS", "three days"),
    ("CASEHUB_ENROLLMENT_HOURS", ""),
    ("CASEHUB_ENROLLMENT_HOURS", "²"),
    ("CASEHUB_LOG_LEVEL", "verbose"),
    ("CASEHUB_LOG_LEVEL", "CRITICAL"),
    ("CASEHUB_TIMEZONE", "Europe/Belfast Central"),
    ("CASEHUB_TIMEZONE", "GMT+1:00"),
    ("CASEHUB_HUB_HOURS", "8-6"),
    ("CASEHUB_HUB_HOURS", "18:00-08:00"),
    ("CASEHUB_HUB_HOURS", "08:00-24:00"),
    # Full-width digits, which a Unicode-aware pattern would take for 08.
    ("CASEHUB_HUB_HOURS", "\uff10\uff18:00-18:00"),
    ("CASEHUB_MAILBOX", "members"),
    ("CASEHUB_MAILBOX", "Members Hub <members@council.test>"),
    ("CASEHUB_SMTP_LISTEN", "8025"),
    ("CASEHUB_SMTP_RELAY", "smtp.council.test"),
    ("CASEHUB_SMTP_RELAY", "smtp.council.test:99999"),
    ("CASEHUB_MAIL_WORKER", "sometimes"),
    ("CASEHUB_JOBS", "maybe"),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_a_bad_setting_is_named(name, value):
    with pytest.raises(ConfigError) as raised:
        load_settings({name: value})

    message = str(raised.value)
    assert message.startswith(name)
    if value:
        assert repr(value) in message or value in message


def test_a_database_password_is_hidden_from_the_message():
    with pytest.raises(ConfigError) as raised:
        load_settings({"CASEHUB_DATABASE_URL": "postgres://casehub:s3cret@/casehub"})

    assert "CASEHUB_DATABASE_URL" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_a_relay_login_needs_both_halves_and_never_shows_the_password():
    with pytest.raises(ConfigError) as no_user:
        load_settings({"CASEHUB_SMTP_PASSWORD": "hunter2-relay"})
    with pytest.raises(ConfigError) as no_password:
        load_settings({"CASEHUB_SMTP_USER": "casehub@council.test"})
    settings = load_settings({"CASEHUB_SMTP_USER": " casehub@council.test ",
                              "CASEHUB_SMTP_PASSWORD": "hunter2-relay"})

    assert str(no_user.value).startswith("CASEHUB_SMTP_USER")
    assert "hunter2" not in str(no_user.value)
    assert str(no_password.value).startswith("CASEHUB_SMTP_PASSWORD")
    assert settings.smtp_login == ("casehub@council.test", "hunter2-relay")
    assert "hunter2" not in repr(settings)
    assert load_settings({}).smtp_login is None


def test_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    settings = load_settings({})

    assert settings.data_dir == tmp_path.resolve() / "data"
    assert settings.database_url == f"sqlite://{tmp_path.resolve() / 'data'}/casehub.db"
    assert settings.is_sqlite
    assert (settings.bind_host, settings.bind_port) == ("127.0.0.1", 8000)
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.enrollment_hours == 72
    assert (settings.holidays_country, settings.holidays_subdiv) == ("GB", "NIR")
    assert settings.log_level == "INFO"
    assert settings.photo_dir == settings.data_dir / "photos"
    assert settings.timezone == "Europe/London"
    assert (settings.hub_opens, settings.hub_closes) == (time(8), time(18))
    assert settings.mailbox == "members@casehub.localhost"
    assert settings.smtp_listen == ("127.0.0.1", 8025)
    assert settings.smtp_relay is None
    assert settings.mail_worker
    assert settings.jobs
    assert settings.attachment_dir == settings.data_dir / "attachments"


def test_good_settings_are_read_and_tidied(tmp_path):
    settings = load_settings({
        "CASEHUB_DATA_DIR": str(tmp_path),
        "CASEHUB_DATABASE_URL": "postgres://casehub@db.council.test:5432/casehub",
        "CASEHUB_BIND": "[::1]:9000",
        "CASEHUB_PUBLIC_URL": "https://casehub.council.test/",
        "CASEHUB_ENROLLMENT_HOURS": "24",
        "CASEHUB_HOLIDAYS": "gb-eng",
        "CASEHUB_LOG_LEVEL": "debug",
        "CASEHUB_TIMEZONE": "Europe/Dublin",
        "CASEHUB_HUB_HOURS": "09:00-17:30",
        "CASEHUB_MAILBOX": "Members@Council.test",
        "CASEHUB_SMTP_LISTEN": "off",
        "CASEHUB_SMTP_RELAY": "smtp.council.test:587",
        "CASEHUB_MAIL_WORKER": "OFF",
        "CASEHUB_JOBS": "off",
    })

    assert settings.data_dir == tmp_path.resolve()
    assert not settings.is_sqlite
    assert (settings.bind_host, settings.bind_port) == ("::1", 9000)
    assert settings.public_url == "https://casehub.council.test"
    assert settings.enrollment_hours == 24
    assert (settings.holidays_country, settings.holidays_subdiv) == ("GB", "ENG")
    assert settings.log_level == "DEBUG"
    assert settings.timezone == "Europe/Dublin"
    assert (settings.hub_opens, settings.hub_closes) == (time(9), time(17, 30))
    assert settings.mailbox == "members@council.test"
    assert settings.smtp_listen is None
    assert settings.smtp_relay == ("smtp.council.test", 587)
    assert not settings.mail_worker
    assert not settings.jobs


def test_the_public_url_follows_the_bind_address_by_default():
    settings = load_settings({"CASEHUB_BIND": "0.0.0.0:8080"})

    assert settings.public_url == "http://0.0.0.0:8080"


def test_a_country_without_a_subdivision_is_allowed():
    settings = load_settings({"CASEHUB_HOLIDAYS": "IE"})

    assert (settings.holidays_country, settings.holidays_subdiv) == ("IE", None)


def run_casehub(*argv: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CASEHUB_")}
    script = f"from server.cli import main; raise SystemExit(main({list(argv)!r}))"
    return subprocess.run([sys.executable, "-c", script], env={**env, **settings},
                          cwd=PROJECT, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize(("name", "value"), [
    ("CASEHUB_BIND", "nowhere"),
    ("CASEHUB_LOG_LEVEL", "chatty"),
    ("CASEHUB_DATABASE_URL", "oracle://db/casehub"),
])
def test_serve_with_a_bad_setting_exits_2_naming_it(tmp_path, name, value):
    result = run_casehub("serve", CASEHUB_DATA_DIR=str(tmp_path), **{name: value})

    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("casehub: configuration error:")
    assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "casehub.db").exists()
