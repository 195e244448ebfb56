"""The mail worker sends the outbox to a real SMTP relay, and survives its moods."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import ssl
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from tortoise.transactions import in_transaction

from server.app import create_app
from server.mail import outbox
from server.mail import worker as mail_worker
from server.mail.models import MailMessage, MailState
from server.mail.worker import MailWorker
from sync.feed import write_transaction
from tests.fake_smtp import Sink, free_port, text_of

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def sink():
    relay = await Sink().start()
    yield relay
    await relay.stop()


async def queue_mail(count: int = 1, to: str = "roads@council.test") -> list[int]:
    async with in_transaction() as connection:
        rows = [
            await outbox.queue(connection, outbox.compose(
                to, f"Message {number}", f"Body of message {number}: café"))
            for number in range(count)
        ]
    return [row.id for row in rows]


async def states() -> list[MailState]:
    return [row.state for row in await MailMessage.all().order_by("id")]


async def due_now() -> None:
    """Bring every retry forward, as if the back-off had passed."""
    await MailMessage.filter(state=MailState.QUEUED).update(
        next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))


async def until(check, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_queued_mail_reaches_the_relay_and_is_marked_sent(db, sink):
    (row_id,) = await queue_mail()

    claimed = await MailWorker(sink.relay).run_once()

    assert claimed == 1
    (received,) = sink.received
    assert received.sender == outbox.sender.address
    assert received.recipients == ["roads@council.test"]
    assert received.message["Subject"] == "Message 0"
    assert text_of(received.message).strip() == "Body of message 0: café"
    row = await MailMessage.get(id=row_id)
    assert row.state == MailState.SENT
    assert row.sent_at is not None and row.attempts == 1
    assert row.last_error is None
    assert str(received.message["Message-ID"]) == row.message_id


async def test_a_relay_that_is_down_is_tried_again_until_it_comes_up(db):
    port = free_port()
    await queue_mail(2)
    worker = MailWorker(("127.0.0.1", port), backoff=0.05, max_backoff=0.2,
                        poll=0.05)
    task = asyncio.create_task(worker.run())

    async def tried_twice() -> bool:
        rows = await MailMessage.all()
        return all(row.attempts >= 2 for row in rows)

    await until(tried_twice)
    rows = await MailMessage.all()
    assert {row.state for row in rows} <= {MailState.QUEUED, MailState.SENDING}
    assert all("could not" in (row.last_error or "") for row in rows)

    sink = await Sink(port=port).start()
    try:
        await sink.wait_for(2)
        await until(lambda: _all_in(MailState.SENT))
    finally:
        worker.finish()
        await task
        await sink.stop()
    assert len(set(sink.message_ids())) == 2


async def _all_in(state: MailState) -> bool:
    return set(await states()) == {state}


async def test_a_busy_relay_4xx_is_tried_again_later_with_backoff(db, sink):
    (row_id,) = await queue_mail()
    sink.answers = ["451 4.3.0 Try again later"]
    worker = MailWorker(sink.relay, backoff=60, max_backoff=3600)

    before = datetime.now(UTC)
    await worker.run_once()

    row = await MailMessage.get(id=row_id)
    assert sink.received == []
    assert row.state == MailState.QUEUED and row.attempts == 1
    assert "451" in (row.last_error or "") and row.claim is None
    assert row.next_attempt_at is not None
    wait = (row.next_attempt_at - before).total_seconds()
    assert 30 <= wait <= 61
    assert await worker.run_once() == 0

    await due_now()
    await worker.run_once()
    row = await MailMessage.get(id=row_id)
    assert row.state == MailState.SENT and row.attempts == 2
    assert len(sink.received) == 1


async def test_a_refusal_5xx_fails_the_message_for_good_with_the_reason(db, sink):
    (row_id,) = await queue_mail()
    sink.answers = ["554 5.7.1 Message rejected as spam"]
    worker = MailWorker(sink.relay)

    await worker.run_once()
    await due_now()
    again = await worker.run_once()

    row = await MailMessage.get(id=row_id)
    assert row.state == MailState.FAILED and row.attempts == 1
    assert row.last_error == "the relay answered 554 5.7.1 Message rejected as spam"
    assert again == 0 and sink.received == []


async def test_a_recipient_the_relay_refuses_fails_that_message_only(db, sink):
    await queue_mail(to="nobody@council.test")
    await queue_mail(to="roads@council.test")
    sink.refused = {"nobody@council.test"}

    await MailWorker(sink.relay).run_once()

    assert await states() == [MailState.FAILED, MailState.SENT]
    failed = await MailMessage.get(state=MailState.FAILED)
    assert failed.last_error == "the relay answered 550 5.1.1 No such user here"
    assert [item.recipients for item in sink.received] == [["roads@council.test"]]


async def test_a_message_that_keeps_failing_is_given_up_after_its_attempts(db):
    (row_id,) = await queue_mail()
    worker = MailWorker(("127.0.0.1", free_port()), max_attempts=3)

    for _ in range(3):
        await worker.run_once()
        await due_now()

    row = await MailMessage.get(id=row_id)
    assert row.state == MailState.FAILED and row.attempts == 3
    assert (row.last_error or "").startswith("gave up after 3 attempts: could not")


async def test_a_worker_restarted_mid_batch_sends_each_message_once(db, sink):
    ids = await queue_mail(6)
    sink.delay = 0.05
    first = MailWorker(sink.relay, poll=0.05)
    task = asyncio.create_task(first.run())
    await sink.wait_for(2)

    first.finish()
    await task
    sent_before = len(sink.received)
    assert 2 <= sent_before < 6
    waiting = await MailMessage.filter(state=MailState.QUEUED)
    assert len(waiting) == 6 - sent_before
    assert all(row.claim is None for row in waiting)

    second = MailWorker(sink.relay, poll=0.05)
    task = asyncio.create_task(second.run())
    try:
        await sink.wait_for(6)
        await until(lambda: _all_in(MailState.SENT))
    finally:
        second.finish()
        await task
    sent_ids = sorted(sink.message_ids())
    assert len(sent_ids) == 6 and len(set(sent_ids)) == 6
    rows = await MailMessage.filter(id__in=ids)
    assert sorted(row.message_id for row in rows) == sent_ids


async def test_mail_claimed_by_a_worker_that_died_is_sent_after_its_lease(db, sink):
    await queue_mail(4)
    # A worker that claimed a batch and died before sending any of it.
    assert len(await MailWorker(sink.relay, lease=0.5).claim()) == 4
    later = MailWorker(sink.relay, lease=0.5)

    assert await later.run_once() == 0
    await asyncio.sleep(0.6)
    assert await later.run_once() == 4

    assert await _all_in(MailState.SENT)
    assert sorted(sink.message_ids()) == sorted(
        row.message_id for row in await MailMessage.all())


async def test_a_cancelled_worker_hands_back_all_but_the_message_in_flight(db, sink):
    await queue_mail(4)
    sink.delay = 0.3
    cancelled = MailWorker(sink.relay, lease=0.5)
    task = asyncio.create_task(cancelled.run())
    await until(lambda: _some_in(MailState.SENDING))
    await asyncio.sleep(0.1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    # The one in flight may have reached the relay: it waits out the lease.
    left = await states()
    assert left.count(MailState.SENDING) == 1 and left.count(MailState.QUEUED) == 3
    sink.delay = 0
    later = MailWorker(sink.relay, lease=0.5)
    assert await later.run_once() == 3
    await asyncio.sleep(0.6)
    assert await later.run_once() == 1
    assert await _all_in(MailState.SENT)
    assert sorted(set(sink.message_ids())) == sorted(
        row.message_id for row in await MailMessage.all())


async def _some_in(state: MailState) -> bool:
    return state in await states()


async def test_two_workers_at_once_send_each_message_once(db, sink):
    await queue_mail(20)
    workers = [MailWorker(sink.relay, batch=5) for _ in range(2)]

    for _ in range(4):
        await asyncio.gather(*(worker.run_once() for worker in workers))

    assert len(sink.received) == 20
    assert len(set(sink.message_ids())) == 20
    assert await _all_in(MailState.SENT)


async def test_with_no_relay_the_server_says_so_once_and_keeps_the_mail(
        settings, sink, caplog):
    caplog.set_level(logging.WARNING, logger="server.mail.worker")
    application = create_app(settings)

    async with application.test_app():
        assert application.config["MAIL_WORKER"] is None
        async with write_transaction() as writer:
            await outbox.queue(writer.connection,
                               outbox.compose("roads@council.test", "Hi", "Body"))
        await asyncio.sleep(0.3)
        assert await states() == [MailState.QUEUED]

    said = [record for record in caplog.records
            if "CASEHUB_SMTP_RELAY" in record.getMessage()]
    assert len(said) == 1
    assert "waits in the outbox" in said[0].getMessage()
    assert sink.received == []


async def test_the_served_app_sends_mail_within_a_second_of_queueing(settings, sink):
    application = create_app(dataclasses.replace(settings, smtp_relay=sink.relay))

    async with application.test_app():
        running = application.config["MAIL_WORKER"]
        assert running is not None and not running.task.done()
        started = asyncio.get_running_loop().time()
        async with write_transaction() as writer:
            await outbox.queue(writer.connection,
                               outbox.compose("roads@council.test", "Now", "Body"))
        await sink.wait_for(1, within=5)
        took = asyncio.get_running_loop().time() - started
        await until(lambda: _all_in(MailState.SENT))
    assert took < 1.0
    assert running.task.done() and not running.task.cancelled()


async def test_the_worker_can_be_turned_off(settings, sink):
    quiet = dataclasses.replace(settings, smtp_relay=sink.relay, mail_worker=False)

    assert mail_worker.start(quiet) is None


def command_env(settings, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CASEHUB_")}
    env.update(PYTHONPATH=str(ROOT), CASEHUB_DATA_DIR=str(settings.data_dir),
               CASEHUB_DATABASE_URL=settings.database_url, **extra)
    return env


async def casehub(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from server.cli import main; raise SystemExit(main())",
        *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def test_the_mail_worker_command_sends_the_outbox_and_stops_cleanly(
        db, settings, sink):
    await queue_mail(3)
    env = command_env(settings, CASEHUB_SMTP_RELAY=f"127.0.0.1:{sink.port}")

    worker = await casehub(env, "mail-worker")
    try:
        await sink.wait_for(3, within=30)
        await until(lambda: _all_in(MailState.SENT), within=10)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = await asyncio.wait_for(worker.communicate(), 30)

    assert worker.returncode == 0, errors.decode()
    assert len(set(sink.message_ids())) == 3
    assert b"Traceback" not in errors


async def test_the_mail_worker_command_with_no_relay_says_why_and_exits(settings):
    worker = await casehub(command_env(settings), "mail-worker")
    _, errors = await asyncio.wait_for(worker.communicate(), 30)

    assert worker.returncode == 1
    assert b"CASEHUB_SMTP_RELAY is not set" in errors


@pytest.fixture
def authority():
    return trustme.CA()


@pytest.fixture
async def guarded(authority):
    """A relay that takes mail only from a client signed in over STARTTLS."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    relay = await Sink(tls_context=context, logins={"casehub": "s3cret"}).start()
    yield relay
    await relay.stop()


def trusting(authority) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


async def test_with_a_login_mail_goes_over_starttls_signed_in(db, guarded,
                                                              authority):
    await queue_mail(2)
    worker = MailWorker(guarded.relay, login=("casehub", "s3cret"),
                        tls_context=trusting(authority))

    assert await worker.run_once() == 2

    assert await states() == [MailState.SENT, MailState.SENT]
    assert len(guarded.received) == 2
    # One connection for the batch, so one sign-in.
    assert guarded.sign_ins == [("casehub", True)]


async def test_a_refused_login_keeps_the_mail_for_a_later_try(db, guarded,
                                                              authority, caplog):
    caplog.set_level(logging.ERROR, logger="server.mail.worker")
    (row_id,) = await queue_mail()
    worker = MailWorker(guarded.relay, login=("casehub", "wrong"),
                        tls_context=trusting(authority))

    await worker.run_once()

    row = await MailMessage.get(id=row_id)
    assert row.state == MailState.QUEUED and row.attempts == 1
    assert "refused the sign-in" in row.last_error
    # aiosmtplib tries each mechanism the relay offers before it gives up.
    assert guarded.sign_ins
    assert set(guarded.sign_ins) == {("casehub", False)}
    assert guarded.received == []
    assert any("refused casehub's sign-in" in record.getMessage()
               for record in caplog.records)
    assert "wrong" not in caplog.text


async def test_a_password_is_never_sent_to_a_relay_without_tls(db):
    plain = await Sink(logins={"casehub": "s3cret"}).start()
    try:
        (row_id,) = await queue_mail()
        worker = MailWorker(plain.relay, login=("casehub", "s3cret"))

        await worker.run_once()

        row = await MailMessage.get(id=row_id)
        assert row.state == MailState.QUEUED
        assert "STARTTLS" in row.last_error
        assert plain.sign_ins == [] and plain.received == []
    finally:
        await plain.stop()


async def test_a_relay_whose_certificate_is_not_trusted_gets_no_password(
        db, guarded):
    (row_id,) = await queue_mail()
    worker = MailWorker(guarded.relay, login=("casehub", "s3cret"))

    await worker.run_once()

    row = await MailMessage.get(id=row_id)
    assert row.state == MailState.QUEUED
    assert "certificate" in row.last_error.lower()
    assert guarded.sign_ins == [] and guarded.received == []
