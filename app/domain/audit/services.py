"""Append audit events, in the transaction of what they record, and verify the chain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.db.models import AuditEvent
from app.db.tenancy import TENANT_KEY
from app.domain.identity.access import AccessScope
from app.lib.unit_of_work import commit


def client_ip(connection: ASGIConnection) -> str | None:
    client = connection.client
    return client.host if client else None


PENDING = "tend.audit_pending"


async def append(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None = None,
    patient_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    route: str | None = None,
    ip: str | None = None,
) -> None:
    """Append one event to this transaction: it commits with what it records, or not at all.

    The row is written just before the transaction commits (`_write_pending`), not now:
    an event holds its care account's chain head (a row lock) from its insert until
    commit, so inserting last keeps every other audited request of that care account
    waiting for one round trip, not for the rest of this request.
    """
    db.info.setdefault(PENDING, []).append(
        {
            "tenant_id": tenant_id,
            "actor_id": actor_id,
            "patient_id": patient_id,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id) if object_id is not None else None,
            "route": route[:200] if route else None,
            "ip": ip,
            "detail": detail or {},
        }
    )


async def flush_audit(db: AsyncSession) -> None:
    """Write this transaction's pending events now (for a reader in the same transaction)."""
    await db.run_sync(_write_pending)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """Insert the pending events (a Core insert: the trigger assigns `seq`, the time and
    the hashes), each under its own care account's binding, then restore the session's."""
    rows = session.info.pop(PENDING, None)
    if not rows:
        return
    by_tenant: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        by_tenant.setdefault(row["tenant_id"], []).append(row)
    bound = session.info.get(TENANT_KEY)
    for tenant_id, tenant_rows in by_tenant.items():
        if tenant_id != bound:
            session.execute(_BIND_TENANT, {"tenant_id": str(tenant_id)})
        session.execute(insert(AuditEvent), tenant_rows)
    if any(tenant_id != bound for tenant_id in by_tenant):
        session.execute(_BIND_TENANT, {"tenant_id": str(bound or "")})


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


_BIND_TENANT = text("SELECT set_config('app.tenant_id', :tenant_id, true)")


async def record(
    db: AsyncSession,
    scope: AccessScope,
    connection: ASGIConnection | None,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None = None,
    patient_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append what the signed-in person did, with the route and IP of their request."""
    await append(
        db,
        scope.tenant_id,
        scope.user_id,
        action,
        object_type,
        object_id=object_id,
        patient_id=patient_id,
        detail=detail,
        route=connection.url.path if connection else None,
        ip=client_ip(connection) if connection else None,
    )


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"event {self.seq}: {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    """One tenant's chain as far as its head: how long it is, and every break found."""

    events: int
    problems: list[ChainProblem] = field(default_factory=list)
    head_hash: bytes = b""
    """The newest link's hash: written down elsewhere, it shows later whether the past
    was rewritten wholesale (which only someone with the owner's rights could do)."""

    @property
    def intact(self) -> bool:
        return not self.problems


# Recompute every link up to the head read first: a changed row no longer matches its
# hash; a removed one leaves a gap in `seq` or a prev_hash that does not match the row
# before it. Events committed after the head was read are left for the next run, so a
# busy tenant never shows a false alarm. Only broken links come back, however long the
# chain.
_VERIFY = text(
    """
    SELECT seq, hash_ok, link_ok, seq_ok FROM (
        SELECT e.seq,
               e.hash = sha256(e.prev_hash || tend_audit_payload(e)) AS hash_ok,
               e.prev_hash = coalesce(lag(e.hash) OVER w, '\\x'::bytea) AS link_ok,
               e.seq = coalesce(lag(e.seq) OVER w, 0) + 1 AS seq_ok
          FROM audit_events e
         WHERE e.tenant_id = :tenant_id AND e.seq <= :upto
        WINDOW w AS (ORDER BY e.seq)
    ) checked
     WHERE NOT (hash_ok AND link_ok AND seq_ok)
     ORDER BY seq
     LIMIT :limit
    """
)
_HEAD = text("SELECT last_seq, last_hash FROM audit_heads WHERE tenant_id = :tenant_id")
_LAST = text(
    "SELECT seq, hash FROM audit_events WHERE tenant_id = :tenant_id AND seq <= :upto "
    "ORDER BY seq DESC LIMIT 1"
)
_NO_HEAD_LIMIT = 2**62


async def check_chain(
    db: AsyncSession, tenant_id: uuid.UUID, max_problems: int = 1000
) -> ChainReport:
    """Verify one tenant's audit chain. `db` must be bound to that tenant (RLS)."""
    head = (await db.execute(_HEAD, {"tenant_id": tenant_id})).first()
    upto = head.last_seq if head is not None else _NO_HEAD_LIMIT
    params = {"tenant_id": tenant_id, "upto": upto}
    problems: list[ChainProblem] = []
    for row in await db.execute(_VERIFY, {**params, "limit": max_problems}):
        if not row.hash_ok:
            problems.append(ChainProblem(row.seq, "its content does not match its hash"))
        if not row.link_ok:
            problems.append(ChainProblem(row.seq, "it does not follow the event before it"))
        if not row.seq_ok:
            problems.append(ChainProblem(row.seq, "events before it are missing"))
    last = (await db.execute(_LAST, params)).first()
    if head is None:
        if last is not None:
            problems.append(ChainProblem(last.seq, "the chain head is missing"))
        return ChainReport(events=last.seq if last else 0, problems=problems)
    if last is None or (last.seq, last.hash) != (head.last_seq, head.last_hash):
        problems.append(
            ChainProblem(head.last_seq, "the newest events are missing (the chain head is later)")
        )
    return ChainReport(events=head.last_seq, problems=problems, head_hash=head.last_hash)


async def verify_chain(db: AsyncSession, tenant_id: uuid.UUID) -> list[ChainProblem]:
    """Every break in one tenant's audit chain; an empty list means it is intact."""
    return (await check_chain(db, tenant_id)).problems


async def release_chain(db: AsyncSession) -> None:
    """Commit now, before the page is rendered.

    An audit event holds its tenant's chain head (a row lock) from its insert until
    commit, so every other audited request of that care account waits meanwhile. A read
    has nothing left to write once its event is recorded: committing before rendering
    keeps that wait to the database work alone. A commit that fails answers 503
    (`unit_of_work.NotSaved`), as the request's own commit would.
    """
    await commit(db)
