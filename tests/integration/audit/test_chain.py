"""The audit chain: append-only for the app, and any change to it found by verification."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.models import AuditEvent
from app.db.tenancy import bind_tenant
from app.domain.audit.services import append, verify_chain

from .chain_helpers import add_events, as_owner, committed_tenant, verify


async def test_an_intact_chain_verifies(app_engine: AsyncEngine) -> None:
    tenant_id = await committed_tenant(app_engine, events=5)
    report = await verify(app_engine, tenant_id)
    assert report.intact and report.events == 5
    empty = await committed_tenant(app_engine)
    assert (await verify(app_engine, empty)).intact


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'x' WHERE tenant_id = :tenant",
        "DELETE FROM audit_events WHERE tenant_id = :tenant",
        "UPDATE audit_heads SET last_seq = 0 WHERE tenant_id = :tenant",
        "DELETE FROM audit_heads WHERE tenant_id = :tenant",
    ],
)
async def test_the_app_role_can_neither_change_nor_remove_events(
    app_engine: AsyncEngine, statement: str
) -> None:
    tenant_id = await committed_tenant(app_engine, events=2)
    async with app_engine.connect() as conn:
        await conn.execute(
            text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
        )
        with pytest.raises(DBAPIError, match="permission denied"):
            await conn.execute(text(statement), {"tenant": tenant_id})
    assert (await verify(app_engine, tenant_id)).intact


async def test_the_app_cannot_choose_its_own_seq_or_hashes(app_engine: AsyncEngine) -> None:
    tenant_id = await committed_tenant(app_engine, events=1)
    async with AsyncSession(app_engine) as db:
        await bind_tenant(db, tenant_id)
        await db.execute(
            text(
                "INSERT INTO audit_events (tenant_id, seq, action, object_type, prev_hash, hash) "
                "VALUES (:t, 99, 'forged', 'thing', '\\x00', '\\x00')"
            ),
            {"t": tenant_id},
        )
        await db.commit()
    report = await verify(app_engine, tenant_id)
    assert report.intact and report.events == 2


async def test_an_edited_event_is_detected(
    app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    tenant_id = await committed_tenant(app_engine, events=4)
    await as_owner(
        owner_engine,
        tenant_id,
        "UPDATE audit_events SET detail = '{\"n\": 99}' WHERE tenant_id = :tenant AND seq = 2",
    )
    problems = (await verify(app_engine, tenant_id)).problems
    assert [(p.seq, p.problem) for p in problems] == [(2, "its content does not match its hash")]


async def test_an_edit_that_recomputes_the_hash_breaks_the_next_link(
    app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    tenant_id = await committed_tenant(app_engine, events=4)
    await as_owner(
        owner_engine,
        tenant_id,
        "UPDATE audit_events SET action = 'nothing.happened' WHERE tenant_id = :tenant AND seq = 2",
        "UPDATE audit_events e SET hash = sha256(e.prev_hash || tend_audit_payload(e)) "
        "WHERE tenant_id = :tenant AND seq = 2",
    )
    problems = (await verify(app_engine, tenant_id)).problems
    assert [p.seq for p in problems] == [3]


async def test_a_deleted_middle_event_is_detected(
    app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    tenant_id = await committed_tenant(app_engine, events=5)
    await as_owner(
        owner_engine, tenant_id, "DELETE FROM audit_events WHERE tenant_id = :tenant AND seq = 3"
    )
    problems = (await verify(app_engine, tenant_id)).problems
    assert {p.seq for p in problems} == {4}
    assert "events before it are missing" in {p.problem for p in problems}


async def test_a_deleted_newest_event_is_detected_by_the_head(
    app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    tenant_id = await committed_tenant(app_engine, events=5)
    await as_owner(
        owner_engine, tenant_id, "DELETE FROM audit_events WHERE tenant_id = :tenant AND seq = 5"
    )
    problems = (await verify(app_engine, tenant_id)).problems
    assert [(p.seq, p.problem) for p in problems] == [
        (5, "the newest events are missing (the chain head is later)")
    ]


async def test_each_care_account_has_its_own_chain(
    app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    first = await committed_tenant(app_engine)
    second = await committed_tenant(app_engine)
    for tenant_id in (first, second, first, first, second):
        await add_events(app_engine, tenant_id, 1)
    for tenant_id, count in ((first, 3), (second, 2)):
        async with AsyncSession(app_engine) as db:
            await bind_tenant(db, tenant_id)
            seqs = (
                await db.scalars(
                    select(AuditEvent.seq)
                    .where(AuditEvent.tenant_id == tenant_id)
                    .order_by(AuditEvent.seq)
                )
            ).all()
            assert seqs == list(range(1, count + 1))
            assert await verify_chain(db, tenant_id) == []
    await as_owner(
        owner_engine, first, "DELETE FROM audit_events WHERE tenant_id = :tenant AND seq = 1"
    )
    assert not (await verify(app_engine, first)).intact
    assert (await verify(app_engine, second)).intact


async def test_concurrent_writers_make_one_contiguous_chain(app_engine: AsyncEngine) -> None:
    tenant_id = await committed_tenant(app_engine)
    per_writer = 40

    async def writer(name: str) -> None:
        async with AsyncSession(app_engine) as db:  # its own connection
            await bind_tenant(db, tenant_id)
            for number in range(per_writer):
                await append(db, tenant_id, None, "test.event", name, detail={"n": number})
                await db.commit()

    await asyncio.gather(writer("a"), writer("b"))
    async with AsyncSession(app_engine) as db:
        await bind_tenant(db, tenant_id)
        rows = (
            await db.execute(
                select(AuditEvent.seq, AuditEvent.object_type)
                .where(AuditEvent.tenant_id == tenant_id)
                .order_by(AuditEvent.seq)
            )
        ).all()
    assert [row.seq for row in rows] == list(range(1, 2 * per_writer + 1))
    assert {row.object_type for row in rows} == {"a", "b"}
    report = await verify(app_engine, tenant_id)
    assert report.intact and report.events == 2 * per_writer


async def test_events_written_during_verification_raise_no_false_alarm(
    app_engine: AsyncEngine,
) -> None:
    tenant_id = await committed_tenant(app_engine, events=3)
    async with AsyncSession(app_engine) as reader:
        await bind_tenant(reader, tenant_id)
        head = await reader.execute(
            text("SELECT last_seq FROM audit_heads WHERE tenant_id = :t"), {"t": tenant_id}
        )
        assert head.scalar_one() == 3
        await add_events(app_engine, tenant_id, 2)  # committed while the check is under way
        assert await verify_chain(reader, tenant_id) == []
