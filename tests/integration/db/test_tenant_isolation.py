"""Tenant isolation at the database, as the app role: row-level security alone keeps each
care account's rows from every other, whatever the query forgets to filter."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.config import async_url
from app.db.models import (
    Invite,
    Membership,
    Patient,
    PatientAccess,
    PatientSearchTerm,
    Role,
    Session,
    Tenant,
    TenantKey,
    TenantSettings,
    User,
)
from app.db.models.base import new_id
from app.db.tenancy import bind_tenant, bind_user
from tests import conftest as harness
from tests.factories import make_person, make_tenant
from tests.integration.identity.helpers import purge

_TENANT_TABLES = text(
    """
    SELECT c.relname
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND a.attname = 'tenant_id' AND NOT a.attisdropped
     ORDER BY c.relname
    """
)


@dataclass
class Seeded:
    """A care account with a row in every tenant-owned table it seeds."""

    tenant: Tenant
    person: User
    patient_id: uuid.UUID
    rows: dict[str, int] = field(default_factory=dict)


async def seed(db: AsyncSession, name: str) -> Seeded:
    """Rows of one care account, inserted directly (no service in between)."""
    tenant = await make_tenant(db, name)
    person = await make_person(db, tenant, Role.ADMIN, mfa=False)
    await bind_tenant(db, tenant.id, person.id)
    patient = Patient(
        id=new_id(),
        tenant_id=tenant.id,
        given_name=b"sealed given name",
        family_name=b"sealed family name",
        key_version=1,
        created_by=person.id,
    )
    later = datetime.now(UTC) + timedelta(days=1)
    db.add_all(
        [
            Session(id=new_id(), tenant_id=tenant.id, user_id=person.id, expires_at=later),
            Invite(
                id=new_id(),
                tenant_id=tenant.id,
                email=f"invitee-{uuid.uuid4().hex[:8]}@example.com",
                role="carer",
                token_hash=uuid.uuid4().bytes,
                invited_by=person.id,
                expires_at=later,
            ),
            TenantKey(
                tenant_id=tenant.id,
                purpose="data",
                version=1,
                wrapped=b"w" * 60,
                wrapped_by="test",
                state="active",
            ),
            patient,
        ]
    )
    await db.flush()
    db.add_all(
        [
            PatientSearchTerm(tenant_id=tenant.id, term=b"term", patient_id=patient.id),
            PatientAccess(
                tenant_id=tenant.id,
                patient_id=patient.id,
                user_id=person.id,
                granted_by=person.id,
            ),
        ]
    )
    await db.flush()
    # In SQL: the trigger fills in `seq` and the hash chain.
    await db.execute(
        text(
            "INSERT INTO audit_events (tenant_id, actor_id, action, object_type) "
            "VALUES (:t, :u, 'test', 'patient')"
        ),
        {"t": tenant.id, "u": person.id},
    )
    seeded = Seeded(tenant, person, patient.id)
    for table in await tenant_tables(db):
        seeded.rows[table] = await count(db, table)
    return seeded


async def tenant_tables(db: AsyncSession) -> list[str]:
    return list((await db.scalars(_TENANT_TABLES)).all())


async def count(db: AsyncSession, table: str, where: str = "true", **params: object) -> int:
    return int(await db.scalar(text(f'SELECT count(*) FROM "{table}" WHERE {where}'), params))


SEEDED_TABLES = {
    "audit_events",
    "audit_heads",
    "invites",
    "memberships",
    "patient_access",
    "patient_search_terms",
    "patients",
    "sessions",
    "tenant_keys",
    "tenant_settings",
}


@pytest.fixture
async def two(db_session: AsyncSession) -> tuple[Seeded, Seeded]:
    return await seed(db_session, "Alpha Care"), await seed(db_session, "Beta Family")


async def test_seeding_reaches_every_table_it_names(two: tuple[Seeded, Seeded]) -> None:
    for seeded in two:
        assert {table for table, rows in seeded.rows.items() if rows} >= SEEDED_TABLES


async def test_select_sees_only_the_bound_tenant_in_every_table(
    db_session: AsyncSession, two: tuple[Seeded, Seeded]
) -> None:
    tables = await tenant_tables(db_session)
    assert set(tables) >= SEEDED_TABLES
    for mine, theirs in (two, two[::-1]):
        await bind_tenant(db_session, mine.tenant.id, mine.person.id)
        for table in tables:
            assert await count(db_session, table, "tenant_id = :t", t=theirs.tenant.id) == 0, table
            assert await count(db_session, table, "tenant_id <> :t", t=mine.tenant.id) == 0, table
            assert await count(db_session, table) == mine.rows[table], table


async def test_the_orm_sees_only_the_bound_tenant(
    db_session: AsyncSession, two: tuple[Seeded, Seeded]
) -> None:
    alpha, beta = two
    await bind_tenant(db_session, alpha.tenant.id)
    assert (await db_session.scalars(select(Patient.id))).all() == [alpha.patient_id]
    assert await db_session.get(Patient, (beta.tenant.id, beta.patient_id)) is None
    assert (await db_session.scalars(select(Tenant.id).join(TenantSettings))).all() == [
        alpha.tenant.id
    ]


async def test_update_and_delete_cannot_touch_another_tenants_rows(
    db_session: AsyncSession, two: tuple[Seeded, Seeded]
) -> None:
    alpha, beta = two
    tables = await tenant_tables(db_session)
    await bind_tenant(db_session, alpha.tenant.id, alpha.person.id)
    for table in tables:
        for statement, privilege in (
            (f'UPDATE "{table}" SET tenant_id = tenant_id WHERE tenant_id = :t', "UPDATE"),
            (f'UPDATE "{table}" SET tenant_id = tenant_id', "UPDATE"),
            (f'DELETE FROM "{table}" WHERE tenant_id = :t', "DELETE"),
        ):
            allowed = await db_session.scalar(
                text("SELECT has_table_privilege(current_user, :table, :privilege)"),
                {"table": table, "privilege": privilege},
            )
            if allowed:
                result = await db_session.execute(text(statement), {"t": beta.tenant.id})
                if "WHERE" in statement:
                    assert result.rowcount == 0, statement
            else:
                with pytest.raises(DBAPIError, match="permission denied"):
                    async with db_session.begin_nested():
                        await db_session.execute(text(statement), {"t": beta.tenant.id})
    # Moving a row of one's own into the other tenant is refused as well.
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db_session.begin_nested():
            await db_session.execute(
                text("UPDATE patients SET tenant_id = :t"), {"t": beta.tenant.id}
            )
    await bind_tenant(db_session, beta.tenant.id, beta.person.id)
    for table in tables:
        assert await count(db_session, table) == beta.rows[table], table


async def test_insert_for_another_tenant_is_refused(
    db_session: AsyncSession, two: tuple[Seeded, Seeded]
) -> None:
    alpha, beta = two
    await bind_tenant(db_session, alpha.tenant.id, alpha.person.id)
    later = datetime.now(UTC) + timedelta(days=1)
    foreign = beta.tenant.id
    extra = Tenant(id=new_id(), name="No settings yet")  # a tenant with no rows at all
    db_session.add(extra)
    await db_session.flush()
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: db_session.execute(
            insert(Membership).values(tenant_id=foreign, user_id=alpha.person.id, role="admin")
        ),
        lambda: db_session.execute(
            insert(Session).values(
                id=new_id(), tenant_id=foreign, user_id=beta.person.id, expires_at=later
            )
        ),
        lambda: db_session.execute(
            insert(Patient).values(
                id=new_id(),
                tenant_id=foreign,
                given_name=b"x",
                family_name=b"y",
                key_version=1,
                created_by=alpha.person.id,
            )
        ),
        lambda: db_session.execute(
            insert(PatientAccess).values(
                tenant_id=foreign,
                patient_id=beta.patient_id,
                user_id=alpha.person.id,
                granted_by=alpha.person.id,
            )
        ),
        lambda: db_session.execute(
            insert(TenantKey).values(
                tenant_id=foreign, purpose="data", version=2, wrapped=b"w", wrapped_by="x"
            )
        ),
        lambda: db_session.execute(
            text(
                "INSERT INTO audit_events (tenant_id, action, object_type) "
                "VALUES (:t, 'forged', 'patient')"
            ),
            {"t": foreign},
        ),
        lambda: db_session.execute(
            text("INSERT INTO tenant_settings (tenant_id) VALUES (:t)"), {"t": extra.id}
        ),
    ]
    for attempt in attempts:
        with pytest.raises(DBAPIError, match="row-level security"):
            async with db_session.begin_nested():
                await attempt()
    await bind_tenant(db_session, beta.tenant.id, beta.person.id)
    for table, rows in beta.rows.items():
        assert await count(db_session, table) == rows, table


async def test_with_no_tenant_bound_nothing_is_seen_and_nothing_written(
    db_session: AsyncSession, two: tuple[Seeded, Seeded]
) -> None:
    alpha, _ = two
    db_session.info.clear()
    await db_session.execute(
        text("SELECT set_config('app.tenant_id', '', true), set_config('app.user_id', '', true)")
    )
    for table in await tenant_tables(db_session):
        assert await count(db_session, table) == 0, table
    assert (await db_session.scalars(select(User))).all() == []
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db_session.begin_nested():
            await db_session.execute(
                insert(Patient).values(
                    id=new_id(),
                    tenant_id=alpha.tenant.id,
                    given_name=b"x",
                    family_name=b"y",
                    key_version=1,
                    created_by=alpha.person.id,
                )
            )


async def test_a_malformed_tenant_setting_fails_rather_than_matching(
    db_session: AsyncSession, two: tuple[Seeded, Seeded]
) -> None:
    with pytest.raises(DBAPIError, match="uuid"):
        async with db_session.begin_nested():
            await db_session.execute(text("SELECT set_config('app.tenant_id', 'not-a-uuid', true)"))
            await db_session.execute(text("SELECT count(*) FROM patients"))


# -- People: global rows seen through the care accounts they share --------------------------


async def test_a_person_sees_only_people_of_their_current_care_account_and_themselves(
    db_session: AsyncSession,
) -> None:
    alpha = await make_tenant(db_session, "Alpha")
    a1 = await make_person(db_session, alpha)
    a2 = await make_person(db_session, alpha)
    both = await make_person(db_session, alpha)
    beta = await make_tenant(db_session, "Beta")
    b1 = await make_person(db_session, beta)
    await bind_tenant(db_session, beta.id, both.id)
    db_session.add(Membership(tenant_id=beta.id, user_id=both.id, role="carer"))
    await db_session.flush()
    loner_tenant = await make_tenant(db_session, "Gamma")
    loner = await make_person(db_session, loner_tenant)

    async def visible() -> set[uuid.UUID]:
        return set((await db_session.scalars(select(User.id))).all())

    await bind_tenant(db_session, alpha.id, a1.id)
    assert await visible() == {a1.id, a2.id, both.id}
    await bind_tenant(db_session, beta.id, b1.id)
    assert await visible() == {b1.id, both.id}
    await bind_user(db_session, loner.id)  # signing in: no care account chosen yet
    assert await visible() == {loner.id}

    # Nor can anyone change a person they do not share a care account with.
    await bind_tenant(db_session, alpha.id, a1.id)
    changed = await db_session.execute(
        text("UPDATE users SET display_name = 'Changed' WHERE id = ANY(:ids)"),
        {"ids": [b1.id, loner.id]},
    )
    assert changed.rowcount == 0


async def test_a_person_sees_their_own_memberships_everywhere_but_no_one_elses(
    db_session: AsyncSession,
) -> None:
    alpha = await make_tenant(db_session, "Alpha")
    person = await make_person(db_session, alpha)
    colleague = await make_person(db_session, alpha)
    beta = await make_tenant(db_session, "Beta")
    stranger = await make_person(db_session, beta)
    await bind_tenant(db_session, beta.id, person.id)
    db_session.add(Membership(tenant_id=beta.id, user_id=person.id, role="observer"))
    await db_session.flush()

    await bind_user(db_session, person.id)
    rows = (await db_session.execute(select(Membership.tenant_id, Membership.user_id))).all()
    assert set(rows) == {(alpha.id, person.id), (beta.id, person.id)}

    await bind_user(db_session, colleague.id)
    rows = (await db_session.execute(select(Membership.tenant_id, Membership.user_id))).all()
    assert set(rows) == {(alpha.id, colleague.id)}
    assert stranger.id not in {user for _, user in rows}

    # The own-memberships policy only reads: it cannot change another care account.
    await bind_user(db_session, person.id)
    changed = await db_session.execute(
        text("UPDATE memberships SET role = 'admin' WHERE user_id = :u"), {"u": person.id}
    )
    assert changed.rowcount == 0


# -- Many requests of two tenants through a small pool ------------------------------------


@dataclass
class CommittedPair:
    alpha: Seeded
    beta: Seeded


@pytest.fixture
async def committed_pair(
    app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> AsyncIterator[CommittedPair]:
    """Two seeded care accounts committed for real, so pooled connections see them."""
    async with AsyncSession(app_engine, expire_on_commit=False) as db:
        alpha = await seed(db, "Pool Alpha")
        beta = await seed(db, "Pool Beta")
        await db.commit()
    try:
        yield CommittedPair(alpha, beta)
    finally:
        await purge(
            owner_engine, [alpha.tenant.id, beta.tenant.id], [alpha.person.id, beta.person.id]
        )


class Deliberate(Exception):
    """Raised mid-transaction by some tasks, as a failing request would."""


async def test_interleaved_requests_of_two_tenants_through_a_small_pool_never_mix(
    test_database: harness.DatabaseUnderTest, committed_pair: CommittedPair
) -> None:
    engine = create_async_engine(
        async_url(test_database.app_url), pool_size=2, max_overflow=0, pool_timeout=30
    )
    tables = ["patients", "memberships", "sessions", "tenant_settings", "audit_events"]
    rng = random.Random(20261122)
    seen_connections: set[int] = set()

    async def request(number: int) -> str:
        mine = (committed_pair.alpha, committed_pair.beta)[number % 2]
        async with AsyncSession(engine) as db:
            if number % 11 == 0:
                # An unbound request (a worker that forgot to bind) sees nothing at all.
                for table in tables:
                    assert await count(db, table) == 0, (number, table)
                return "unbound"
            await bind_tenant(db, mine.tenant.id, mine.person.id)
            connection = await db.connection()
            seen_connections.add(id((await connection.get_raw_connection()).driver_connection))
            try:
                for table in rng.sample(tables, k=3):
                    tenants = set(
                        (await db.scalars(text(f'SELECT DISTINCT tenant_id FROM "{table}"'))).all()
                    )
                    assert tenants == {mine.tenant.id}, (number, table, tenants)
                    await asyncio.sleep(rng.random() / 1000)  # let other tasks in between
                if number % 7 == 0:
                    raise Deliberate
                if number % 5 == 0:
                    await db.commit()  # a new transaction: the binding follows it
                    patients = (await db.scalars(select(Patient.id))).all()
                    assert patients == [mine.patient_id], number
            except Deliberate:
                await db.rollback()
                return "rolled back"
            visible = set((await db.scalars(select(User.id))).all())
            assert visible == {mine.person.id}, number
            return "ok"

    try:
        outcomes = await asyncio.gather(*(request(n) for n in range(200)))
        assert engine.sync_engine.pool.checkedout() == 0
    finally:
        await engine.dispose()

    assert set(outcomes) == {"ok", "rolled back", "unbound"}
    assert len(seen_connections) <= 2  # the same two connections served both tenants


async def test_a_fresh_connection_that_never_bound_sees_nothing(
    app_engine: AsyncEngine, committed_pair: CommittedPair
) -> None:
    async with app_engine.connect() as conn:
        setting = await conn.scalar(text("SELECT current_setting('app.tenant_id', true)"))
        assert not setting
        for table in ("patients", "memberships", "tenant_settings", "audit_events"):
            assert await conn.scalar(text(f'SELECT count(*) FROM "{table}"')) == 0, table
        assert await conn.scalar(select(func.count()).select_from(User)) == 0


async def test_a_binding_does_not_outlive_its_transaction_on_a_pooled_connection(
    test_database: harness.DatabaseUnderTest, committed_pair: CommittedPair
) -> None:
    engine = create_async_engine(async_url(test_database.app_url), pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as db:
            await bind_tenant(db, committed_pair.alpha.tenant.id)
            assert await count(db, "patients") == 1
            await db.commit()
        async with AsyncSession(engine) as db:  # the same connection, back from the pool
            assert await count(db, "patients") == 0
            await db.execute(
                text("SELECT set_config('app.tenant_id', :t, false)"),
                {"t": str(committed_pair.beta.tenant.id)},
            )
            await db.rollback()
        async with AsyncSession(engine) as db:
            # Even a session-wide setting made in a transaction that rolled back is gone.
            assert await count(db, "patients") == 0
    finally:
        await engine.dispose()
