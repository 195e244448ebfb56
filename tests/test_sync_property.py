"""Random histories of phones, hub staff and a flaky network, then convergence.

Hypothesis drives members' phones (making cases, notes, photos and
withdrawals offline, syncing through dropped, lost, doubled and crossed
requests, crashing), hub staff moving cases on, and a department officer's
phone reading along. When a history ends the network heals, every phone syncs
until nothing is left to send, and then every mutation must have been applied
exactly once and every phone must hold exactly what the server shows its user.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import uuid
from collections.abc import Awaitable
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from PIL import Image
from quart.testing import app as quart_testing

from server import case_feed, casework, tokens
from server.app import create_app
from server.config import load_settings
from server.models import (
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    Department,
    EventKind,
    Role,
    Status,
    User,
    Ward,
)
from server.reference import category_data, publish_category, publish_department
from sync.errors import Rejected
from sync.feed import write_transaction
from sync.models import AppliedMutation, Device
from sync.protocol import PullResponse
from tests.conftest import ENGINE, _pg_empty
from tests.sim import Fault, Key, SimDevice

T = TypeVar("T")
QUIET_ROUNDS = 8
HUB_STATUSES = [Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED,
                Status.CLOSED, Status.REOPENED]
View = dict[Key, dict[str, Any]]
MEMBER_ACTIONS = ["create", "create", "note", "note", "withdraw"]
HUB_ACTIONS = ["status", "reply", "internal", "handoff", "handoff"]


def small_jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (shade, 90, 160)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


class SyncMachine(RuleBasedStateMachine):
    def __init__(self, template: str, folder: Path) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.devices: list[SimDevice] = []
        self.owners: dict[str, User] = {}
        self.sent: dict[str, list[str]] = {}
        self.cases: dict[int, list[str]] = {}
        self.served = self._serve(template, folder)

    def run(self, step: Awaitable[T]) -> T:
        return self.loop.run_until_complete(step)

    def _serve(self, template: str, folder: Path) -> quart_testing.TestApp:
        if ENGINE == "postgres":
            self.run(_pg_empty(template))
            url = template
        else:
            folder.mkdir(parents=True)
            shutil.copy(template, folder / "casehub.db")
            url = f"sqlite://{folder / 'casehub.db'}"
        app = create_app(load_settings({
            "CASEHUB_DATA_DIR": str(folder),
            "CASEHUB_DATABASE_URL": url,
            "CASEHUB_PUBLIC_URL": "http://127.0.0.1:8000",
        }))
        served = app.test_app()
        self.run(served.startup())
        self.client = app.test_client()
        return served

    @initialize(phones=st.integers(2, 4))
    def council(self, phones: int) -> None:
        self.run(self._council(phones))

    async def _council(self, phones: int) -> None:
        ward = await Ward.create(name="Botanic")
        self.cleansing = await Department.create(name="Cleansing and Waste")
        self.parks = await Department.create(name="Parks and Open Spaces")
        bins = await Category.create(
            code="missed_bin", name="Missed bin", department=self.cleansing,
            questions=[{"id": "bin", "label": "Which bin", "type": "choice",
                        "required": True, "options": ["Black", "Blue"]}],
        )
        grass = await Category.create(code="overgrown", name="Overgrown grass",
                                      department=self.parks)
        self.categories = [bins, grass]
        async with write_transaction() as writer:
            for department in (self.cleansing, self.parks):
                publish_department(writer, department)
            for category in self.categories:
                publish_category(writer, category)

        self.hub = await User.create(email="agent@council.test", name="Agent",
                                     role=Role.HUB_AGENT)
        self.officer = await User.create(email="officer@council.test",
                                         name="Officer",
                                         role=Role.DEPARTMENT_OFFICER,
                                         department=self.cleansing)
        members = [
            await User.create(email=f"member{i}@council.test", name=f"Member {i}",
                              role=Role.MEMBER, ward=ward)
            for i in range(3)
        ]
        for member in members:
            self.cases[member.id] = []
        for i in range(phones):
            device = await self._device(members[i % len(members)])
            self.devices.append(device)
            self._create_case(device, i, None)
            await device.sync()
        self.officer_phone = await self._device(self.officer)

    async def _device(self, user: User) -> SimDevice:
        token = tokens.new_device_token()
        await Device.create(id=uuid.uuid4(), user_id=user.id,
                            token_hash=tokens.digest(token))
        device = SimDevice(self.client, token, user.email)
        self.owners[token] = user
        self.sent[token] = []
        return device

    # What members do on their phones.

    def _mutate(self, device: SimDevice, name: str, args: dict[str, Any]) -> None:
        self.sent[device.token].append(device.mutate(name, args).id)

    @precondition(lambda self: self.devices)
    @rule(pick=st.integers(0, 3), action=st.sampled_from(MEMBER_ACTIONS),
          which=st.integers(0, 20), shade=st.none() | st.integers(0, 255),
          text=st.text(min_size=1, max_size=30))
    def member_acts(self, pick: int, action: str, which: int, shade: int | None,
                    text: str) -> None:
        device = self._device_at(pick)
        if action == "create":
            self._create_case(device, which, shade)
            return
        case_id = self._own_case(device, which)
        if case_id is None:
            return
        if action == "note":
            self._mutate(device, "case.note", {"case_id": case_id,
                                               "event_id": str(uuid.uuid4()),
                                               "text": text})
        else:
            self._mutate(device, "case.withdraw", {"case_id": case_id,
                                                   "event_id": str(uuid.uuid4())})

    def _create_case(self, device: SimDevice, which: int,
                     shade: int | None) -> None:
        chosen = self.categories[which % len(self.categories)]
        case_id = str(uuid.uuid4())
        photos = [device.keep_photo(small_jpeg(shade))] if shade is not None else []
        answers = {"bin": "Blue"} if chosen.code == "missed_bin" else {}
        self._mutate(device, "case.create", {
            "case_id": case_id, "category_id": chosen.id, "answers": answers,
            "description": "Reported on the way to the surgery", "photos": photos,
        })
        self.cases[self.owners[device.token].id].append(case_id)

    @precondition(lambda self: self.devices)
    @rule(pick=st.integers(0, 3), fault=st.sampled_from(list(Fault)))
    def sync(self, pick: int, fault: Fault) -> None:
        self.run(self._device_at(pick).sync(fault))

    @precondition(lambda self: self.devices)
    @rule(pick=st.integers(0, 3))
    def crash(self, pick: int) -> None:
        self.run(self._device_at(pick).crash_while_pulling())

    @precondition(lambda self: self.devices)
    @rule(limit=st.integers(1, 6))
    def officer_syncs(self, limit: int) -> None:
        self.run(self.officer_phone.pull_all(limit))

    def _device_at(self, pick: int) -> SimDevice:
        return self.devices[pick % len(self.devices)]

    def _own_case(self, device: SimDevice, which: int) -> str | None:
        own = self.cases[self.owners[device.token].id]
        return own[which % len(own)] if own else None

    # What the hub does.

    @precondition(lambda self: self.devices)
    @rule(which=st.integers(0, 50), action=st.sampled_from(HUB_ACTIONS),
          status=st.sampled_from(HUB_STATUSES), officer_looks=st.booleans())
    def hub_acts(self, which: int, action: str, status: Status,
                 officer_looks: bool) -> None:
        # An officer often has the app open while the hub works, which is
        # when a case leaving their department matters.
        if officer_looks:
            self.run(self.officer_phone.pull_all())
        hub = self.hub
        acts: dict[str, Any] = {
            "status": lambda w, case: casework.change_status(
                w, case, hub, status, "Checked by the hub"),
            "reply": lambda w, case: casework.reply(w, case, hub, "Booked"),
            "internal": lambda w, case: casework.internal_note(
                w, case, hub, "Member is chasing this"),
            "handoff": lambda w, case: casework.hand_off(
                w, case, hub, self._elsewhere(case)),
        }
        self.run(self._hub(which, acts[action]))

    def _elsewhere(self, case: Case) -> Department:
        """The department a case is not with, so hand-offs keep moving it."""
        if case.department_id == self.cleansing.id:
            return self.parks
        return self.cleansing

    async def _hub(self, which: int, action: Any) -> None:
        ids = await Case.all().order_by("reference").values_list("id", flat=True)
        if not ids:
            return
        try:
            async with write_transaction() as writer:
                case = await Case.select_for_update().get(id=ids[which % len(ids)])
                await action(writer, case)
        except Rejected:
            pass

    # The end of a history.

    def teardown(self) -> None:
        try:
            if self.devices:
                self.run(self._converge())
        finally:
            self.run(self.served.shutdown())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    async def _converge(self) -> None:
        await self._quiesce()

        for device in self.devices:
            await self._check_applied_once(device)
        await self._check_counts()
        for device in [*self.devices, self.officer_phone]:
            expected = await self._server_view(self.owners[device.token])
            held = device.stored.confirmed
            assert _without_rejections(held) == _without_rejections(expected), (
                device.label, _difference(held, expected))
            assert _rejections(held) == _rejections(expected), device.label

    async def _quiesce(self) -> None:
        """Sync every phone, network healed, until none has anything to send."""
        for _ in range(QUIET_ROUNDS):
            for device in self.devices:
                await device.sync()
            if not any(device.stored.outbox for device in self.devices):
                break
        else:
            stuck = {d.label: len(d.stored.outbox) for d in self.devices}
            raise AssertionError(f"outboxes never emptied: {stuck}")

        for device in [*self.devices, self.officer_phone]:
            await device.pull_all()
            assert PullResponse.model_validate(device.last_pull).more is False

    async def _check_applied_once(self, device: SimDevice) -> None:
        stored = await Device.get(token_hash=tokens.digest(device.token))
        applied = await AppliedMutation.filter(device_id=stored.id).order_by("seq")
        assert [m.id for m in applied] == [uuid.UUID(i) for i in
                                          self.sent[device.token]]
        assert [m.seq for m in applied] == list(range(1, len(applied) + 1))
        assert stored.last_seq == device.allocated

    async def _check_counts(self) -> None:
        created = await AppliedMutation.filter(name="case.create", status="applied")
        assert await Case.all().count() == len(created)
        notes = await AppliedMutation.filter(name="case.note",
                                             status="applied").count()
        member_notes = await CaseEvent.filter(kind=EventKind.NOTE,
                                              author__role=Role.MEMBER).count()
        assert member_notes == notes
        withdrawals = await AppliedMutation.filter(name="case.withdraw",
                                                   status="applied").count()
        assert await CaseEvent.filter(kind=EventKind.STATUS_CHANGE,
                                      author__role=Role.MEMBER).count() == withdrawals
        assert await CaseEvent.filter(kind=EventKind.CREATED).count() == len(created)

    async def _server_view(self, user: User) -> View:
        """What `user` may see now, built from the tables, not from the feed."""
        view: View = {}
        for category in await Category.all():
            view[("category", str(category.id))] = category_data(category)
        for department in await Department.all():
            view[("department", str(department.id))] = {"id": department.id,
                                                        "name": department.name}

        cases = (Case.filter(member_id=user.id) if user.role == Role.MEMBER
                 else Case.filter(department_id=user.department_id))
        for case in await cases:
            links = await CasePhoto.filter(case_id=case.id).order_by("id")
            view[("case", str(case.id))] = case_feed.case_data(
                case, [link.photo_id for link in links])
            for event in await CaseEvent.filter(case_id=case.id):
                if user.role == Role.MEMBER and not event.member_visible:
                    continue
                author = await User.get_or_none(id=event.author_id)
                view[("event", str(event.id))] = case_feed.event_data(event, author)

        devices = await Device.filter(user_id=user.id).values_list("id", flat=True)
        for refused in await AppliedMutation.filter(device_id__in=list(devices),
                                                    status="rejected"):
            view[("rejection", str(refused.id))] = {
                "code": refused.error_code, "name": refused.name, "seq": refused.seq,
            }
        return view


def _without_rejections(view: View) -> View:
    return {key: data for key, data in view.items() if key[0] != "rejection"}


def _rejections(view: View) -> dict[str, tuple[Any, ...]]:
    return {key[1]: (data["code"], data["name"], data["seq"])
            for key, data in view.items() if key[0] == "rejection"}


def _difference(held: View, expected: View) -> dict[str, Any]:
    return {
        "missing": sorted(set(expected) - set(held)),
        "extra": sorted(set(held) - set(expected)),
        "stale": sorted(key for key in set(held) & set(expected)
                        if held[key] != expected[key]),
    }


def test_phones_converge_whatever_the_network_does(template: str,
                                                   tmp_path: Path) -> None:
    examples = count()
    run_state_machine_as_test(
        lambda: SyncMachine(template, tmp_path / str(next(examples))),
        settings=settings(max_examples=30, stateful_step_count=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
