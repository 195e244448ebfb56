"""Applying a device's mutations exactly once, in order.

A batch runs in one transaction, which also records the device's new
sequence number and each mutation's outcome. A repeat is answered with the
outcome it had; a gap refuses the batch; a mutation that is not allowed is
recorded as rejected, and the ones behind it carry on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ValidationError

from sync.errors import NotYet, Rejected, SyncError
from sync.feed import Audience, Writer, write_transaction
from sync.models import AppliedMutation, Device
from sync.protocol import Mutation, MutationError, MutationResult
from sync.text import nul_at

log = logging.getLogger(__name__)


@dataclass
class MutationContext:
    """What a mutator may use: who sent it, and where its changes go."""

    user: Any
    device_id: UUID
    mutation: Mutation
    writer: Writer
    # The whole batch, so a mutator can look up what all of it needs at once.
    batch: list[Mutation]


@dataclass(frozen=True)
class Mutator:
    args: type[BaseModel]
    apply: Callable[[MutationContext, Any], Awaitable[None]]


Registry = Mapping[str, Mutator]
Status = Literal["applied", "duplicate", "rejected", "not_yet"]


async def apply_batch(device: Device, user: Any, mutations: list[Mutation],
                      registry: Registry) -> list[MutationResult]:
    """Apply mutations in order; stop early only when one must wait.

    Mutations already applied are answered with the outcome they had. The new
    ones are applied in one transaction, each inside its own savepoint, and
    the device's sequence number moves with them at commit.
    """
    _check_contiguous(mutations)

    seen = [m for m in mutations if m.seq <= device.last_seq]
    results = [await _repeat(device, mutation) for mutation in seen]
    fresh = mutations[len(seen):]
    if not fresh:
        return results
    if fresh[0].seq > device.last_seq + 1:
        raise _gap(device)

    async with write_transaction() as writer:
        results += await _apply_fresh(writer, device, user, fresh, registry)
    return results


def _check_contiguous(mutations: list[Mutation]) -> None:
    for before, after in pairwise(mutations):
        if after.seq != before.seq + 1:
            raise SyncError(
                "batch_not_contiguous",
                f"Mutations in one batch must be numbered one after another; "
                f"{after.seq} follows {before.seq}.",
                status=422,
                field="mutations",
            )


async def _apply_fresh(writer: Writer, device: Device, user: Any,
                       mutations: list[Mutation],
                       registry: Registry) -> list[MutationResult]:
    results = await _catch_up(writer, device, mutations)
    mutations = mutations[len(results):]
    if not mutations:
        return results
    await _check_ids_unused(mutations)

    records: list[AppliedMutation] = []
    for mutation in mutations:
        try:
            error = await _run_mutator(writer, device, user, mutation, registry,
                                       mutations)
        except NotYet as wait:
            results.append(_waiting(mutation, wait))
            break
        results.append(_record(writer, device, mutation, error, records))

    if records:
        await AppliedMutation.bulk_create(records, using_db=writer.connection)
        device.last_seq = records[-1].seq
        await Device.filter(id=device.id).using_db(writer.connection).update(
            last_seq=device.last_seq
        )
    return results


async def _catch_up(writer: Writer, device: Device,
                    mutations: list[Mutation]) -> list[MutationResult]:
    """Repeats of what another request from this device applied meanwhile."""
    locked = await Device.select_for_update().using_db(writer.connection).get(
        id=device.id
    )
    if locked.last_seq == device.last_seq:
        return []

    device.last_seq = locked.last_seq
    seen = [m for m in mutations if m.seq <= device.last_seq]
    if len(seen) < len(mutations) and mutations[len(seen)].seq > device.last_seq + 1:
        raise _gap(device)
    return [await _repeat(device, mutation) for mutation in seen]


async def _check_ids_unused(mutations: list[Mutation]) -> None:
    known = await AppliedMutation.filter(id__in=[m.id for m in mutations]).first()
    if known is not None:
        raise SyncError(
            "mutation_id_reused",
            f"Mutation id {known.id} was already used with number {known.seq}.",
            status=409,
            field="mutations",
        )


def _record(writer: Writer, device: Device, mutation: Mutation,
            error: MutationError | None,
            records: list[AppliedMutation]) -> MutationResult:
    status: Status = "applied" if error is None else "rejected"
    records.append(AppliedMutation(
        id=mutation.id,
        device_id=device.id,
        seq=mutation.seq,
        name=mutation.name,
        status=status,
        error_code=error.code if error else None,
        error_detail=error.detail if error else None,
        version=writer.version,
    ))
    if error is not None:
        writer.record(
            "rejection",
            str(mutation.id),
            {"seq": mutation.seq, "name": mutation.name, **error.model_dump()},
            Audience(member_id=device.user_id, personal=True),
        )
    return MutationResult(id=mutation.id, seq=mutation.seq, status=status,
                          error=error)


def _waiting(mutation: Mutation, wait: NotYet) -> MutationResult:
    return MutationResult(
        id=mutation.id,
        seq=mutation.seq,
        status="not_yet",
        error=MutationError(code=wait.code, detail=wait.detail,
                            missing=wait.extra.get("missing")),
    )


async def _run_mutator(writer: Writer, device: Device, user: Any,
                       mutation: Mutation, registry: Registry,
                       batch: list[Mutation]) -> MutationError | None:
    """Run the mutator inside a savepoint; a rejection undoes its writes."""
    mutator = registry.get(mutation.name)
    if mutator is None:
        return MutationError(
            code="unknown_mutation",
            detail=f"This server does not know the mutation {mutation.name!r}; "
            "update the app.",
            field="name",
        )
    nul = nul_at(mutation.args)
    if nul is not None:
        return MutationError(
            code="invalid_argument",
            detail=f"{nul}: text must not contain the NUL character.",
            field=nul,
        )

    try:
        args = mutator.args.model_validate(mutation.args)
    except ValidationError as invalid:
        return _validation_error(invalid)

    context = MutationContext(user, device.id, mutation, writer, batch)
    # What the mutation leaves in memory goes with its rolled-back rows.
    mark = writer.mark()
    try:
        async with writer.connection._in_transaction():
            await mutator.apply(context, args)
    except Rejected as rejected:
        writer.restore(mark)
        return MutationError(
            code=rejected.code, detail=rejected.detail, field=rejected.field
        )
    except NotYet:
        writer.restore(mark)
        raise
    return None


def _validation_error(invalid: ValidationError) -> MutationError:
    first = invalid.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or None
    return MutationError(
        code="invalid_argument",
        detail=f"{where}: {first['msg']}" if where else first["msg"],
        field=where,
    )


async def _repeat(device: Device, mutation: Mutation) -> MutationResult:
    """Answer a mutation sent again with the outcome it had the first time."""
    known = await AppliedMutation.get_or_none(device_id=device.id, seq=mutation.seq)
    if known is None or known.id != mutation.id:
        raise SyncError(
            "sequence_reused",
            f"Mutation number {mutation.seq} was already used for a different "
            "mutation on this device.",
            status=409,
            field="mutations",
        )
    error = None
    if known.status == "rejected":
        error = MutationError(
            code=known.error_code or "rejected", detail=known.error_detail or ""
        )
    return MutationResult(
        id=mutation.id,
        seq=mutation.seq,
        status="duplicate" if error is None else "rejected",
        error=error,
    )


def _gap(device: Device) -> SyncError:
    expected = device.last_seq + 1
    return SyncError(
        "mutation_gap",
        f"The next mutation from this device must be number {expected}.",
        status=409,
        expected_seq=expected,
    )
