"""Live alerts are tested on committed data: PostgreSQL only delivers a notification when
its transaction commits, so these tests cannot run inside a rolled-back transaction. Each
test makes a care account of its own (the run's database is dropped at the end)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db.models import Patient, Role, Session, Tenant, User
from app.db.models.base import new_id
from app.db.tenancy import bind_tenant
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from app.domain.keys.keyring import Keyring
from app.lib import session_tokens
from app.lib.keys import master_keys
from tests.conftest import DatabaseUnderTest
from tests.factories import grant_access, make_patient, make_person, make_tenant


@dataclass
class World:
    """A care account with a carer and an observer who may see `patient`, not `hidden`."""

    tenant: Tenant
    carer: User
    observer: User
    patient: Patient
    hidden: Patient


@pytest.fixture
async def world(app_engine: AsyncEngine, settings: Settings) -> World:
    return await make_world(app_engine, settings)


async def make_world(app_engine: AsyncEngine, settings: Settings) -> World:
    """A committed care account: a carer and an observer who may see one of two patients."""
    keyring = Keyring(master_keys(settings))
    async with AsyncSession(app_engine, expire_on_commit=False) as db:
        tenant = await make_tenant(db)
        carer = await make_person(db, tenant, Role.CARER)
        observer = await make_person(db, tenant, Role.OBSERVER)
        patient = await make_patient(db, keyring, tenant, given="Iris", family="Seen")
        hidden = await make_patient(db, keyring, tenant, given="Hector", family="Hidden")
        for person in (carer, observer):
            await grant_access(db, tenant, patient, person)
        await db.commit()
    return World(tenant, carer, observer, patient, hidden)


async def session_cookie(engine: AsyncEngine, tenant: Tenant, user: User) -> dict[str, str]:
    """A committed session for `user`, as signing in makes one; the cookie naming it."""
    async with AsyncSession(engine, expire_on_commit=False) as db:
        await bind_tenant(db, tenant.id, user.id)
        row = Session(
            id=new_id(),
            tenant_id=tenant.id,
            user_id=user.id,
            expires_at=datetime.now(UTC) + timedelta(hours=12),
            mfa_verified_at=datetime.now(UTC),
        )
        db.add(row)
        await db.commit()
    claims = session_tokens.SessionClaims(user.id, tenant.id, row.id)
    token = session_tokens.encode(claims, os.environ["TEND_SECRET_KEY"], row.expires_at)
    return {session_tokens.COOKIE: token}


async def commit_alert(engine: AsyncEngine, tenant: Tenant, patient: Patient) -> uuid.UUID:
    """An alert raised and committed, as a worker or another web process would."""
    async with AsyncSession(engine) as db:
        await bind_tenant(db, tenant.id)
        alert_id = await raise_alert(
            db, tenant_id=tenant.id, patient_id=patient.id, kind=Kind.CONCERN
        )
        await db.commit()
    assert alert_id is not None
    return alert_id


async def run_sql(engine: AsyncEngine, tenant: Tenant, sql: str, **params: object) -> None:
    async with AsyncSession(engine) as db:
        await bind_tenant(db, tenant.id)
        await db.execute(text(sql), params)
        await db.commit()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[str]:
    """`app` under uvicorn in this event loop (real streaming, real disconnects)."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task


@contextlib.contextmanager
def app_process(test_database: DatabaseUnderTest, data_dir: Path) -> Iterator[str]:
    """Another Tend web process (uvicorn, as `tend run` starts one) on the same database."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": test_database.app_url, "TEND_DATA_DIR": str(data_dir)}
    log = (data_dir / f"server-{port}.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.asgi:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--timeout-graceful-shutdown", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"the app process exited:\n{log.read()}")
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the app process did not become ready within 30 s")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


class EventStream:
    """Reads Server-Sent Events from a streaming httpx response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, within: float = 10) -> tuple[str, str]:
        """The next event's (type, data); keep-alive comments are skipped."""
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> tuple[str, str]:
        event, data = "message", []
        async for line in self._lines:
            if line == "":
                if data:
                    return event, "\n".join(data)
                event = "message"
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
        raise EOFError("the stream ended")

    async def bell(self, within: float = 10) -> dict:
        event, data = await self.next(within)
        assert event == "bell", (event, data)
        return json.loads(data)


@contextlib.asynccontextmanager
async def open_stream(base_url: str, cookies: dict[str, str]) -> AsyncIterator[EventStream]:
    async with httpx.AsyncClient(base_url=base_url, cookies=cookies, timeout=30) as client:
        headers = {"Accept": "text/event-stream"}
        async with client.stream("GET", "/alerts/stream", headers=headers) as response:
            assert response.status_code == 200, response.status_code
            assert response.headers["content-type"].startswith("text/event-stream")
            yield EventStream(response)
