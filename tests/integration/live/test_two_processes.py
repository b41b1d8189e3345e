"""Two app processes on one database: a change made through one reaches a bell open on
the other, because every process listens to PostgreSQL, not to itself."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import DatabaseUnderTest
from tests.integration.live.conftest import (
    World,
    app_process,
    commit_alert,
    open_stream,
    session_cookie,
)


async def raise_through(base_url: str, engine: AsyncEngine, world: World) -> None:
    """Raise an alert "through process A". No route raises one by hand yet in this branch
    (POST /patients/{id}/alerts/concern is on its way), so the alert is committed from
    this test process: a third process, like a worker. When the route lands, this is
    one line: a signed-in POST to f"{base_url}/patients/{world.patient.id}/alerts/concern".
    """
    await commit_alert(engine, world.tenant, world.patient)


async def test_an_alert_raised_through_one_process_reaches_a_bell_on_another(
    test_database: DatabaseUnderTest,
    app_engine: AsyncEngine,
    world: World,
    tmp_path: Path,
) -> None:
    with (
        app_process(test_database, tmp_path) as process_a,
        app_process(test_database, tmp_path) as process_b,
    ):
        cookies = await session_cookie(app_engine, world.tenant, world.carer)
        async with open_stream(process_b, cookies) as on_b, open_stream(process_a, cookies) as on_a:
            assert (await on_b.bell())["count"] == 0
            assert (await on_a.bell())["count"] == 0

            await raise_through(process_a, app_engine, world)

            assert (await on_b.bell())["count"] == 1
            assert (await on_a.bell())["count"] == 1
