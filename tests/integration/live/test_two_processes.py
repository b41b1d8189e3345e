"""Two app processes on one database: a change made through one reaches a bell open on
the other, because every process listens to PostgreSQL, not to itself."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.lib import csrf, session_tokens
from tests.conftest import DatabaseUnderTest
from tests.integration.live.conftest import (
    World,
    app_process,
    open_stream,
    session_cookie,
)


async def raise_through(base_url: str, engine: AsyncEngine, world: World) -> None:
    """The carer raises a concern through process A's own route, as their phone would."""
    cookies = await session_cookie(engine, world.tenant, world.carer)
    # Development over plain http: plain cookie names; the token is the session's own.
    token = csrf.token_for(os.environ["TEND_SECRET_KEY"], cookies[session_tokens.COOKIE], None)
    assert token
    jar = "; ".join(f"{name}={value}" for name, value in cookies.items())
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            f"/patients/{world.patient.id}/alerts/concern",
            data={"text": "Breathing sounds wheezy since lunch.", "severity": "warning"},
            headers={"x-csrftoken": token, "Cookie": jar},
        )
    assert response.status_code in (200, 303), response.text


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
        # The observer watches; the carer raises (their own concern is read by them already).
        cookies = await session_cookie(app_engine, world.tenant, world.observer)
        async with open_stream(process_b, cookies) as on_b, open_stream(process_a, cookies) as on_a:
            assert (await on_b.bell())["count"] == 0
            assert (await on_a.bell())["count"] == 0

            await raise_through(process_a, app_engine, world)

            assert (await on_b.bell())["count"] == 1
            assert (await on_a.bell())["count"] == 1
