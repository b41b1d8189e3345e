"""The embedded PostgreSQL's watchdog: a server that died is started again and the log
says so; a server that was stopped on purpose stays stopped."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.config import plain_url
from app.db import embedded

STOPPED = "The embedded PostgreSQL stopped; restarting it."
BACK = "The embedded PostgreSQL is back."


@pytest.fixture
def server() -> Iterator[Any]:
    # Outside pytest's own temporary root, which another run may make private again.
    folder = Path(tempfile.mkdtemp(prefix="tend-watchdog-"))
    handle = embedded.start(folder)
    try:
        yield handle
    finally:
        handle.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def _postmaster(server: Any) -> int:
    return int((server.pgdata / "postmaster.pid").read_text().splitlines()[0])


def _answers(server: Any) -> bool:
    async def ask() -> bool:
        try:
            conn = await asyncpg.connect(plain_url(server.get_uri()), timeout=2)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        try:
            return await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()

    return asyncio.run(ask())


def _within(seconds: float, condition: Any) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_killed_embedded_postgresql_is_started_again(
    server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tend.db")
    killed = _postmaster(server)
    with embedded.restarted_if_it_dies(server, every=0.2):
        os.kill(killed, signal.SIGKILL)
        assert _within(30, lambda: BACK in caplog.text), caplog.text
        assert _answers(server)
    assert STOPPED in caplog.text
    assert _postmaster(server) != killed


def test_an_embedded_postgresql_stopped_on_purpose_stays_stopped(
    server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tend.db")
    with embedded.restarted_if_it_dies(server, every=0.1):
        os.kill(_postmaster(server), signal.SIGINT)  # a fast shutdown, as Ctrl-C sends
        assert _within(30, lambda: not (server.pgdata / "postmaster.pid").exists())
        time.sleep(1)  # ten of the watchdog's looks
    assert STOPPED not in caplog.text
    assert not _answers(server)
