"""The casehub command: serve, load the demo council, enroll a phone."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config
from hypercorn.utils import LifespanFailureError
from tortoise.exceptions import BaseORMException as TortoiseError

from server import workdays
from server.config import ConfigError, Settings, load_settings
from server.mail import links
from server.mail import outbox as mail_outbox

log = logging.getLogger("casehub")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        sys.stderr.write(f"casehub: configuration error: {error}\n")
        return 2
    _configure_logging(settings.log_level)
    workdays.configure_from(settings)
    mail_outbox.configure(settings.mailbox)
    links.configure(settings.public_url)
    return int(asyncio.run(args.run(settings, args)) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casehub",
        description="Offline-first casework for a council's members and its hub.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--demo-if-empty", action="store_true",
                       help="load the demo council first if the database is empty")
    serve.set_defaults(run=_serve)

    demo = commands.add_parser("demo", help="load the demo council")
    demo.add_argument("--seed", type=int, default=2026,
                      help="random seed, for a repeatable council")
    demo.set_defaults(run=_demo)

    enroll = commands.add_parser(
        "enroll", help="print a one-time enrollment code for a member's phone"
    )
    enroll.add_argument("email", help="the member's email address")
    enroll.set_defaults(run=_enroll)

    migrate = commands.add_parser("migrate", help="bring the database up to date")
    migrate.set_defaults(run=_migrate)

    push_worker = commands.add_parser(
        "push-worker", help="send queued push alerts (without serving the API)"
    )
    push_worker.set_defaults(run=_push_worker)

    backup = commands.add_parser(
        "backup", help="copy the database and files into a new folder, while serving"
    )
    backup.add_argument("folder", type=Path, help="an empty or new folder")
    backup.set_defaults(run=_backup)

    restore = commands.add_parser(
        "restore", help="put a backup back in place (stop casehub first)"
    )
    restore.add_argument("folder", type=Path, help="a folder made by casehub backup")
    restore.set_defaults(run=_restore)

    mail_worker = commands.add_parser(
        "mail-worker", help="send queued mail to the relay (without serving the API)"
    )
    mail_worker.set_defaults(run=_mail_worker)

    rotate = commands.add_parser(
        "rotate-vapid",
        help="make a new push key pair; phones subscribe again on their next start",
    )
    rotate.set_defaults(run=_rotate_vapid)

    open311_key = commands.add_parser(
        "open311-key",
        help="print a new Open311 API key for a client system, once; list or "
             "revoke keys",
    )
    open311_key.add_argument("name", nargs="?",
                             help="the client system, such as FixMyStreet")
    choice = open311_key.add_mutually_exclusive_group()
    choice.add_argument("--list", action="store_true",
                        help="list the client systems and their keys' state")
    choice.add_argument("--revoke", action="store_true",
                        help="revoke the named system's key")
    open311_key.set_defaults(run=_open311_key)
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


async def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from server.app import create_app

    if not await _database_opens(settings) or not await _mail_port_free(settings):
        return 1
    if args.demo_if_empty:
        await _demo_if_empty(settings)

    config = Config()
    config.bind = [f"{settings.bind_host}:{settings.bind_port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("member app: %s/", settings.public_url)
    log.info("staff API and OpenAPI: %s/openapi.json", settings.public_url)
    try:
        await hypercorn_serve(create_app(settings), config,
                              shutdown_trigger=stop.wait)
    except LifespanFailureError as error:
        # Start-up refused, such as a port for mail already taken: say why.
        sys.stderr.write(f"casehub: could not start: {error}\n")
        return 1
    return 0


async def _database_opens(settings: Settings) -> bool:
    """Migrate and connect once before serving, so a bad database fails loudly."""
    from server.config import redact
    from server.db import close_database, open_database

    try:
        await open_database(settings)
    except (OSError, ConnectionError, TortoiseError) as error:
        sys.stderr.write(f"casehub: cannot open the database at "
                         f"{redact(settings.database_url)}: {error}\n")
        return False
    await close_database()
    return True


async def _mail_port_free(settings: Settings) -> bool:
    from server.mail import inbound

    try:
        await inbound.check_listen(settings)
    except ConfigError as error:
        sys.stderr.write(f"casehub: configuration error: {error}\n")
        return False
    return True


async def _demo_if_empty(settings: Settings) -> None:
    from server.db import close_database, open_database
    from server.demo import council_is_empty, load_demo, sign_in_details

    await open_database(settings)
    try:
        if await council_is_empty():
            summary = await load_demo(seed=2026)
            _say(sign_in_details(summary, settings))
    finally:
        await close_database()


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from server.db import close_database, open_database
    from server.demo import council_is_empty, load_demo, sign_in_details

    await open_database(settings)
    try:
        if not await council_is_empty():
            sys.stderr.write("casehub: the database already holds a council; "
                             "the demo loads only into an empty one\n")
            return 1
        summary = await load_demo(seed=args.seed)
        _say(sign_in_details(summary, settings))
    finally:
        await close_database()
    return 0


async def _enroll(settings: Settings, args: argparse.Namespace) -> int:
    from server import enrollment
    from server.db import close_database, open_database
    from server.errors import ApiError
    from server.models import User

    await open_database(settings)
    try:
        member = await User.get_or_none(email=args.email.strip().lower())
        if member is None:
            sys.stderr.write(f"casehub: no member has the email {args.email}\n")
            return 1
        try:
            code = await enrollment.issue_code(member, None,
                                               settings.enrollment_hours)
        except ApiError as error:
            sys.stderr.write(f"casehub: {error.detail}\n")
            return 1
        _say(f"Enrollment code for {member.name} <{member.email}>: {code}\n"
             f"Valid for {settings.enrollment_hours} hours, once. "
             f"Join at {settings.public_url}/#join={code}\n")
    finally:
        await close_database()
    return 0


async def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from server.db import close_database, open_database

    await open_database(settings)
    await close_database()
    _say("The database is up to date.\n")
    return 0


async def _push_worker(settings: Settings, args: argparse.Namespace) -> int:
    from server.db import close_database, open_database
    from server.notifications import vapid
    from server.notifications.worker import PushWorker

    await open_database(settings)
    vapid.load_or_create(settings.data_dir)
    worker = PushWorker(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.finish)
    try:
        await worker.run()
    finally:
        await close_database()
    return 0


async def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from server.backup import BackupError, backup

    try:
        summary = await asyncio.to_thread(backup, settings, args.folder)
    except BackupError as error:
        sys.stderr.write(f"casehub: {error}\n")
        return 1
    _say(f"Backed up the {summary.engine} database and {summary.files} files "
         f"({summary.bytes:,} bytes) to {summary.folder}\n")
    return 0


async def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from server.backup import BackupError, restore, start_new_epoch
    from server.db import close_database, open_database

    try:
        summary = await asyncio.to_thread(restore, settings, args.folder)
    except BackupError as error:
        sys.stderr.write(f"casehub: {error}\n")
        return 1
    await open_database(settings)
    try:
        await start_new_epoch()
    finally:
        await close_database()
    _say(f"Restored the {summary.engine} database and {summary.files} files from "
         f"{summary.folder}. Phones start their feed again when they next sync "
         "and send what they had not sent.\n")
    return 0


async def _mail_worker(settings: Settings, args: argparse.Namespace) -> int:
    from server.db import close_database, open_database
    from server.mail.worker import MailWorker

    if settings.smtp_relay is None:
        sys.stderr.write("casehub: CASEHUB_SMTP_RELAY is not set, so there is "
                         "nowhere to send mail; it waits in the outbox\n")
        return 1
    await open_database(settings)
    worker = MailWorker(settings.smtp_relay, login=settings.smtp_login)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.finish)
    try:
        await worker.run()
    finally:
        await close_database()
    return 0


async def _rotate_vapid(settings: Settings, args: argparse.Namespace) -> int:
    from server.db import close_database, open_database
    from server.notifications import vapid

    await open_database(settings)
    try:
        key, dropped = await vapid.rotate_and_drop(settings.data_dir)
    finally:
        await close_database()
    _say(f"New push key {key.key_id}. Dropped {dropped} subscriptions made with "
         "the old key; phones subscribe again when they next start.\n")
    return 0


async def _open311_key(settings: Settings, args: argparse.Namespace) -> int:
    from server.db import close_database, open_database
    from server.open311 import keys

    if not args.list and not args.name:
        sys.stderr.write("casehub: name the client system, or use --list\n")
        return 2
    await open_database(settings)
    try:
        if args.list:
            _say(keys.describe(await keys.clients()))
        elif args.revoke:
            client = await keys.revoke(args.name)
            _say(f"Revoked the key of {client.name}; its requests are refused "
                 "from now on.\n")
        else:
            key = await keys.issue(args.name)
            _say(f"Open311 api_key for {args.name}: {key}\n"
                 "It is shown only now: casehub keeps a hash of it. Reports "
                 f"sent with it reach the hub with {args.name} as their source.\n")
    except keys.KeyRefused as refused:
        sys.stderr.write(f"casehub: {refused}\n")
        return 1
    finally:
        await close_database()
    return 0


def _say(text: str) -> None:
    """Output meant for the person at the terminal, not the log."""
    sys.stdout.write(text)
    sys.stdout.flush()
