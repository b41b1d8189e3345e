"""The bell hub: one statement counts every open bell of a care account after a change, each
person sees only the counts of patients they may see, and a session that ends closes only
its own bells."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db.models import Role, Session, User
from app.db.models.alerts import AlertRead
from app.db.models.base import new_id
from app.db.tenancy import bind_tenant
from app.domain.alerts.hub import count_bells
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from app.domain.alerts.unread import unread_count
from app.domain.identity.access import AccessScope
from tests.factories import grant_access, make_patient, make_person, make_tenant, scope_for
from tests.integration.live.conftest import (
    EventStream,
    World,
    commit_alert,
    open_stream,
    run_sql,
    serving,
    session_cookie,
)


def scope(tenant_id, user: User, role: Role, session_id) -> AccessScope:  # type: ignore[no-untyped-def]
    return scope_for(
        tenant_id, user.id, role, session_id=session_id, display_name=user.display_name,
        email=user.email,
    )  # fmt: skip


async def open_session_row(db: AsyncSession, tenant_id, user: User, **extra: Any):  # type: ignore[no-untyped-def]
    row = Session(
        id=new_id(),
        tenant_id=tenant_id,
        user_id=user.id,
        expires_at=datetime.now(UTC) + timedelta(hours=12),
        mfa_verified_at=datetime.now(UTC),
        **extra,
    )
    db.add(row)
    await db.flush()
    return row.id


async def test_one_statement_counts_each_person_as_the_bell_does(
    db_session: AsyncSession, app: Litestar
) -> None:
    db = db_session
    keyring = app.state.keyring
    tenant = await make_tenant(db)
    admin = await make_person(db, tenant, Role.ADMIN)
    carer = await make_person(db, tenant, Role.CARER)
    observer = await make_person(db, tenant, Role.OBSERVER)
    ended = await make_person(db, tenant, Role.CARER)
    seen = await make_patient(db, keyring, tenant, given="Iris")
    lapsed = await make_patient(db, keyring, tenant, given="Lapsed")
    archived = await make_patient(db, keyring, tenant, given="Gone", archived=True)
    nobody = await make_patient(db, keyring, tenant, given="Nobody")
    await grant_access(db, tenant, seen, carer)
    await grant_access(db, tenant, lapsed, carer, expires_at=datetime.now(UTC) - timedelta(days=1))
    await grant_access(db, tenant, seen, observer)
    await grant_access(db, tenant, archived, observer)
    await grant_access(db, tenant, seen, ended)

    async def alert(patient) -> Any:  # type: ignore[no-untyped-def]
        alert_id = await raise_alert(
            db, tenant_id=tenant.id, patient_id=patient.id, kind=Kind.CONCERN
        )
        assert alert_id is not None
        return alert_id

    first, second = await alert(seen), await alert(seen)
    await alert(lapsed)
    await alert(archived)
    on_nobody = await alert(nobody)
    resolved = await alert(seen)
    await bind_tenant(db, tenant.id)
    db.add(AlertRead(tenant_id=tenant.id, alert_id=first, user_id=carer.id))
    db.add(AlertRead(tenant_id=tenant.id, alert_id=on_nobody, user_id=admin.id))
    db.add(AlertRead(tenant_id=tenant.id, alert_id=second, user_id=observer.id))
    await db.flush()
    await run_in(
        db,
        "UPDATE alerts SET state = 'resolved', acknowledged_at = now(), resolved_at = now()"
        " WHERE id = :a",
        a=resolved,
    )

    scopes = {
        "admin": scope(tenant.id, admin, Role.ADMIN, await open_session_row(db, tenant.id, admin)),
        "carer": scope(tenant.id, carer, Role.CARER, await open_session_row(db, tenant.id, carer)),
        "carer's phone": scope(
            tenant.id, carer, Role.CARER, await open_session_row(db, tenant.id, carer)
        ),
        "observer": scope(
            tenant.id, observer, Role.OBSERVER, await open_session_row(db, tenant.id, observer)
        ),
        "revoked": scope(
            tenant.id,
            ended,
            Role.CARER,
            await open_session_row(db, tenant.id, ended, revoked_at=datetime.now(UTC)),
        ),
    }

    await bind_tenant(db, tenant.id)
    counted = await count_bells(db, tenant.id, scopes.values())

    by_name = {name: counted.get(me.session_id) for name, me in scopes.items()}
    # admin: every unresolved alert but the one read; carer: the granted patient's two
    # less the one read (the lapsed grant shows nothing); observer: the granted patient's
    # two less the one read (the archived patient is gone for them).
    assert by_name == {
        "admin": ("admin", 4),
        "carer": ("carer", 1),
        "carer's phone": ("carer", 1),
        "observer": ("observer", 1),
        "revoked": None,
    }
    for name, me in scopes.items():
        if name != "revoked":
            await bind_tenant(db, tenant.id, me.user_id)
            assert await unread_count(db, me) == by_name[name][1], name  # type: ignore[index]

    # Row-level security: bound to another care account, none of these rows exist.
    other = await make_tenant(db)
    await bind_tenant(db, other.id)
    assert await count_bells(db, tenant.id, scopes.values()) == {}


async def run_in(db: AsyncSession, sql: str, **params: Any) -> None:
    await db.execute(text(sql), params)


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[Litestar, str]]:
    from app.asgi import create_app

    app = create_app(settings)
    async with serving(app) as base_url:
        yield app, base_url
    # After a test that used the in-process app, a served app's lifespan leaves its pool
    # open; closed here, so later tests that count the database's connections see none.
    await app.state.db_config.get_engine().dispose()


@contextmanager
def bell_statements(app: Litestar) -> Iterator[list[dict[str, Any]]]:
    """The parameters of every bell-counting statement the app runs meanwhile."""
    seen: list[dict[str, Any]] = []
    engine = app.state.db_config.get_engine().sync_engine

    def spy(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "unnest(CAST(" in statement and "session_id" in statement:
            lists = [value for value in parameters if isinstance(value, list)]
            seen.append({"sessions": lists[0], "users": lists[1]})

    event.listen(engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", spy)


async def all_bells(streams: list[EventStream]) -> list[int]:
    return [(await events.bell())["count"] for events in streams]


async def test_one_statement_recounts_every_open_bell_after_a_change(
    served: tuple[Litestar, str], app_engine: AsyncEngine, world: World
) -> None:
    app, base_url = served
    async with AsyncSession(app_engine, expire_on_commit=False) as db:
        await bind_tenant(db, world.tenant.id)
        admin = await make_person(db, world.tenant, Role.ADMIN)
        await db.commit()
    people = {"carer": world.carer, "observer": world.observer, "admin": admin}
    async with AsyncExitStack() as stack:
        streams: dict[str, list[EventStream]] = {}
        for name, person in people.items():
            # Four pages each: three sessions (phones, a laptop), one of them with two tabs.
            cookies = [await session_cookie(app_engine, world.tenant, person) for _ in range(3)]
            streams[name] = [
                await stack.enter_async_context(open_stream(base_url, jar))
                for jar in (*cookies, cookies[0])
            ]
        everyone = [events for group in streams.values() for events in group]
        assert await all_bells(everyone) == [0] * 12

        with bell_statements(app) as statements:
            await commit_alert(app_engine, world.tenant, world.patient)
            assert await all_bells(everyone) == [1] * 12
            await asyncio.sleep(0.5)
        # One statement for the twelve pages of three people (nine sessions).
        assert len(statements) == 1
        assert len(statements[0]["sessions"]) == 9

        with bell_statements(app) as statements:
            # Only the admin may see this patient: only their pages change.
            await commit_alert(app_engine, world.tenant, world.hidden)
            assert await all_bells(streams["admin"]) == [2] * 4
            await asyncio.sleep(0.5)
        assert len(statements) == 1

        # The carer reads the alert: their pages (and no one else's) are recounted.
        with bell_statements(app) as statements:
            await run_sql(
                app_engine, world.tenant,
                "INSERT INTO alert_reads (tenant_id, alert_id, user_id)"
                " SELECT tenant_id, id, :u FROM alerts WHERE patient_id = :p",
                u=world.carer.id, p=world.patient.id,
            )  # fmt: skip
            # Their next event is 0: the hidden patient's alert sent them nothing.
            assert await all_bells(streams["carer"]) == [0] * 4
            await asyncio.sleep(0.5)
        assert len(statements) == 1
        assert set(statements[0]["users"]) == {world.carer.id}

        assert app.state.db_config.get_engine().pool.checkedout() == 0


async def test_a_revoked_session_closes_only_its_own_bells(
    served: tuple[Litestar, str], app_engine: AsyncEngine, world: World
) -> None:
    _, base_url = served
    old = await session_cookie(app_engine, world.tenant, world.carer)
    observer = await session_cookie(app_engine, world.tenant, world.observer)
    async with open_stream(base_url, old) as revoked, open_stream(base_url, observer) as watching:
        assert (await revoked.bell())["count"] == 0
        assert (await watching.bell())["count"] == 0
        await run_sql(
            app_engine, world.tenant,
            "UPDATE sessions SET revoked_at = now() WHERE user_id = :u", u=world.carer.id,
        )  # fmt: skip
        new = await session_cookie(app_engine, world.tenant, world.carer)
        async with open_stream(base_url, new) as signed_in_again:
            assert (await signed_in_again.bell())["count"] == 0

            await commit_alert(app_engine, world.tenant, world.patient)

            assert (await revoked.next())[0] == "signed-out"
            with pytest.raises(EOFError):
                await revoked.next()
            assert (await signed_in_again.bell())["count"] == 1
            assert (await watching.bell())["count"] == 1


async def test_a_changed_role_closes_the_bell(
    served: tuple[Litestar, str], app_engine: AsyncEngine, world: World
) -> None:
    _, base_url = served
    cookies = await session_cookie(app_engine, world.tenant, world.observer)
    async with open_stream(base_url, cookies) as events:
        assert (await events.bell())["count"] == 0
        await run_sql(
            app_engine, world.tenant,
            "UPDATE memberships SET role = 'carer' WHERE user_id = :u", u=world.observer.id,
        )  # fmt: skip
        await commit_alert(app_engine, world.tenant, world.patient)
        assert (await events.next())[0] == "signed-out"
