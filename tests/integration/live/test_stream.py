"""The bell's event stream under a real server: the count at once, then after each
committed change; no database connection held meanwhile; an end when the session ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import asyncpg
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.domain.alerts.live import tenant_channel
from tests.conftest import DatabaseUnderTest
from tests.integration.live.conftest import (
    World,
    commit_alert,
    open_stream,
    run_sql,
    serving,
    session_cookie,
)


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[Litestar, str]]:
    from app.asgi import create_app

    app = create_app(settings)
    async with serving(app) as base_url:
        yield app, base_url


async def _activity(
    test_database: DatabaseUnderTest, besides: frozenset[int] = frozenset()
) -> list[dict]:
    """The run's database connections as PostgreSQL sees them (read as the superuser),
    leaving out `besides`: connections that were there before, such as another test
    module's live server on the same database."""
    conn = await asyncpg.connect(test_database.admin_url)
    try:
        rows = await conn.fetch(
            "SELECT pid, application_name, state, query FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            test_database.name,
        )
    finally:
        await conn.close()
    return [dict(row) for row in rows if row["pid"] not in besides]


async def _present(test_database: DatabaseUnderTest) -> frozenset[int]:
    return frozenset(a["pid"] for a in await _activity(test_database))


async def test_the_count_comes_at_once_and_again_after_a_commit(
    served: tuple[Litestar, str], app_engine: AsyncEngine, world: World
) -> None:
    _, base_url = served
    cookies = await session_cookie(app_engine, world.tenant, world.carer)
    async with open_stream(base_url, cookies) as events:
        first = await events.bell()
        assert first["count"] == 0
        assert 'aria-label="Alerts, none unread"' in first["html"]

        # An alert about a patient the carer may not see wakes the stream, changes nothing.
        await commit_alert(app_engine, world.tenant, world.hidden)
        await commit_alert(app_engine, world.tenant, world.patient)

        update = await events.bell()
        assert update["count"] == 1
        assert 'aria-label="Alerts, 1 unread"' in update["html"]
        assert 'data-unread="1"' in update["html"]


async def test_an_observer_may_follow_the_bell_and_reading_lowers_it(
    served: tuple[Litestar, str], app_engine: AsyncEngine, world: World
) -> None:
    _, base_url = served
    alert_id = await commit_alert(app_engine, world.tenant, world.patient)
    cookies = await session_cookie(app_engine, world.tenant, world.observer)
    async with open_stream(base_url, cookies) as events:
        assert (await events.bell())["count"] == 1
        await run_sql(
            app_engine, world.tenant,
            "INSERT INTO alert_reads (tenant_id, alert_id, user_id) VALUES (:t, :a, :u)",
            t=world.tenant.id, a=alert_id, u=world.observer.id,
        )  # fmt: skip
        assert (await events.bell())["count"] == 0


async def test_streaming_clients_hold_no_database_connection(
    served: tuple[Litestar, str],
    app_engine: AsyncEngine,
    test_database: DatabaseUnderTest,
    world: World,
) -> None:
    app, base_url = served
    engine = app.state.db_config.get_engine()
    cookies = await session_cookie(app_engine, world.tenant, world.carer)
    besides = await _present(test_database)
    async with AsyncExitStack() as stack:
        streams = [
            await stack.enter_async_context(open_stream(base_url, cookies)) for _ in range(8)
        ]
        for events in streams:
            assert (await events.bell())["count"] == 0
        await commit_alert(app_engine, world.tenant, world.patient)
        for events in streams:
            assert (await events.bell())["count"] == 1

        # Eight open streams, and not one connection checked out of the app's pool...
        assert engine.pool.checkedout() == 0
        activity = await _activity(test_database, besides)
        # ...none left in a transaction, and one listening connection for them all.
        assert [a for a in activity if a["state"] != "idle"] == []
        assert [a["application_name"] for a in activity].count("tend-listen") == 1
        pooled = [a for a in activity if a["application_name"] == "tend-web"]
        assert len(pooled) <= 8


async def test_leaving_unsubscribes_and_shutting_down_closes_the_listener(
    settings: Settings, app_engine: AsyncEngine, test_database: DatabaseUnderTest, world: World
) -> None:
    from app.asgi import create_app

    app = create_app(settings)
    channels = app.plugins.get("ChannelsPlugin")
    channel = tenant_channel(world.tenant.id)
    before = await _present(test_database)
    async with serving(app) as base_url:
        cookies = await session_cookie(app_engine, world.tenant, world.carer)
        async with open_stream(base_url, cookies) as events:
            await events.bell()
            assert channel in channels._backend._subscribed_channels
        for _ in range(100):
            if channel not in channels._backend._subscribed_channels:
                break
            await asyncio.sleep(0.05)
        assert channel not in channels._backend._subscribed_channels
        assert not channels._channels.get(channel)
    activity = await _activity(test_database, before)
    assert [a for a in activity if a["application_name"] == "tend-listen"] == []


async def test_the_stream_ends_when_the_session_is_revoked(
    served: tuple[Litestar, str], app_engine: AsyncEngine, world: World
) -> None:
    _, base_url = served
    cookies = await session_cookie(app_engine, world.tenant, world.carer)
    async with open_stream(base_url, cookies) as events:
        await events.bell()
        await run_sql(
            app_engine, world.tenant,
            "UPDATE sessions SET revoked_at = now() WHERE user_id = :u", u=world.carer.id,
        )  # fmt: skip
        await commit_alert(app_engine, world.tenant, world.patient)

        assert (await events.next())[0] == "signed-out"
        with pytest.raises(EOFError):
            await events.next()
