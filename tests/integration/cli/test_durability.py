"""`kill -9` of the embedded PostgreSQL while a carer's notes are being saved.

The real `tend run`, on a data folder of its own. A carer sends a few hundred notes at
once; a third of the way in, the postmaster is killed. `tend run` must notice, say so,
and start PostgreSQL again; `/readyz` must answer 503 meanwhile and 200 after; a save it
could not take must answer 503 (try again), not 500; and every note that Tend told the
carer was saved must be in the database afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from app.db.models import Patient, Role, Tenant, User
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from app.lib import csrf, session_tokens
from app.lib.crypto import MasterKeys, parse_key
from tests.factories import grant_access, make_patient, make_person, make_tenant
from tests.integration.cli.tend_run import free_port, start, wait_ready
from tests.integration.live.conftest import session_cookie

pytestmark = pytest.mark.slow

BEFORE_THE_KILL = 150  # notes sent while PostgreSQL dies under them
AFTER_THE_RESTART = 100  # notes sent once /readyz says Tend is back
KILL_AFTER = 50  # answers received before the kill
AT_ONCE = 16  # requests in flight
STOPPED = "The embedded PostgreSQL stopped; restarting it."
BACK = "The embedded PostgreSQL is back."


@dataclass
class Carer:
    tenant: Tenant
    carer: User
    patient: Patient


@dataclass
class Outcomes:
    acknowledged: list[str] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # status codes of the others
    answers: int = 0
    kill_now: asyncio.Event = field(default_factory=asyncio.Event)

    def answered(self) -> None:
        self.answers += 1
        if self.answers >= KILL_AFTER:
            self.kill_now.set()


@dataclass
class Run:
    """What the carer and a load balancer saw, and what the database kept."""

    before: Outcomes
    after: Outcomes
    readiness: list[int]
    stored: set[str]
    worker_back: bool


def _postmaster_line(pgdata: Path, number: int) -> str:
    # postmaster.pid: pid, data folder, start time, port, socket folder, ...
    return (pgdata / "postmaster.pid").read_text().splitlines()[number].strip()


def _app_engine(pgdata: Path) -> AsyncEngine:
    url = f"postgresql+asyncpg://tend_app@/tend?host={_postmaster_line(pgdata, 4)}"
    return create_async_engine(url, poolclass=NullPool)


async def _a_carer_and_a_patient(engine: AsyncEngine) -> Carer:
    keyring = Keyring(MasterKeys(parse_key(os.environ["TEND_MASTER_KEY"], "TEND_MASTER_KEY")))
    async with AsyncSession(engine, expire_on_commit=False) as db:
        tenant = await make_tenant(db)
        carer = await make_person(db, tenant, Role.CARER)
        patient = await make_patient(db, keyring, tenant, given="Mae", family="Durable")
        await grant_access(db, tenant, patient, carer)
        await db.commit()
    return Carer(tenant, carer, patient)


@contextlib.asynccontextmanager
async def _signed_in(
    base_url: str, cookies: dict[str, str], patient: Patient
) -> AsyncIterator[httpx.AsyncClient]:
    """A client carrying the carer's session and CSRF token. The cookies are Secure, so
    over plain http to loopback they are sent by hand."""
    limits = httpx.Limits(max_connections=AT_ONCE, max_keepalive_connections=AT_ONCE)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        jar = "; ".join(f"{name}={value}" for name, value in cookies.items())
        form = await client.get(f"/patients/{patient.id}/notes/new", headers={"Cookie": jar})
        assert form.status_code == 200, form.text
        # The token a signed-in page carries is bound to the session (app/lib/csrf.py).
        token = csrf.token_for(os.environ["TEND_SECRET_KEY"], cookies[session_tokens.COOKIE], None)
        assert token, "no CSRF token for the session"
        client.headers["Cookie"] = jar
        client.headers["x-csrftoken"] = token
        yield client


def _saved(response: httpx.Response, htmx: bool) -> bool:
    """What tells the carer the note was saved: the toast, or the list's "saved" notice."""
    if htmx:
        return response.status_code == 200 and "Note saved" in response.headers.get(
            "hx-trigger", ""
        )
    return response.status_code == 303 and "done=created" in response.headers.get("location", "")


async def _save_notes(
    client: httpx.AsyncClient, patient: Patient, texts: list[str], outcomes: Outcomes
) -> None:
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(number: int, body: str) -> None:
        htmx = number % 2 == 0  # half in place (htmx), half as a plain form post
        fields = {
            "category": "general",
            "text": body,
            "place": "list" if htmx else "page",
            "idempotency_key": str(uuid.uuid4()),
        }
        async with gate:
            try:
                response = await client.post(
                    f"/patients/{patient.id}/notes",
                    data=fields,
                    files={"photo": ("", b"", "application/octet-stream")},
                    headers={"HX-Request": "true"} if htmx else {},
                )
            except httpx.HTTPError:
                outcomes.refused.append(0)  # the connection broke: nothing was acknowledged
            else:
                if _saved(response, htmx):
                    outcomes.acknowledged.append(body)
                else:
                    outcomes.refused.append(response.status_code)
            finally:
                outcomes.answered()

    await asyncio.gather(*(one(n, body) for n, body in enumerate(texts)))


async def _kill_postgres_after(outcomes: Outcomes, pgdata: Path) -> None:
    await outcomes.kill_now.wait()
    os.kill(int(_postmaster_line(pgdata, 0)), signal.SIGKILL)


async def _readiness_until_back(client: httpx.AsyncClient, seen: list[int]) -> None:
    """Poll /readyz (no cookies needed) until it has answered 503 and then 200."""
    while not (503 in seen and seen[-1] == 200 and seen.index(503) < len(seen) - 1):
        try:
            seen.append((await client.get("/readyz", headers={"Cookie": ""})).status_code)
        except httpx.HTTPError:
            seen.append(0)
        await asyncio.sleep(0.1)


async def _stored(engine: AsyncEngine, tenant: Tenant) -> set[str]:
    async with AsyncSession(engine) as db:
        await bind_tenant(db, tenant.id)
        rows = await db.execute(text("SELECT body FROM care_notes"))
        return {row.body for row in rows}


async def _worker_connected(engine: AsyncEngine, within: float = 30) -> bool:
    """Whether a `tend worker` is connected again (`tend run` started a new one)."""
    for _ in range(int(within / 0.5)):
        async with engine.connect() as conn:
            found = await conn.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tend-worker'")
            )
        if found:
            return True
        await asyncio.sleep(0.5)
    return False


async def _kill_while_saving(base_url: str, pgdata: Path) -> Run:
    engine = _app_engine(pgdata)
    world = await _a_carer_and_a_patient(engine)
    cookies = await session_cookie(engine, world.tenant, world.carer)
    await engine.dispose()  # nothing of the test's own stays connected through the kill
    run = uuid.uuid4().hex[:8]
    texts = [f"Durability {run} #{n}" for n in range(BEFORE_THE_KILL + AFTER_THE_RESTART)]
    before, after = Outcomes(), Outcomes()
    readiness: list[int] = []
    async with _signed_in(base_url, cookies, world.patient) as client:
        await asyncio.wait_for(
            asyncio.gather(
                _kill_postgres_after(before, pgdata),
                _save_notes(client, world.patient, texts[:BEFORE_THE_KILL], before),
                _readiness_until_back(client, readiness),
            ),
            timeout=45,
        )
        # Once ready again, Tend saves notes again.
        await asyncio.wait_for(
            _save_notes(client, world.patient, texts[BEFORE_THE_KILL:], after), timeout=30
        )
    engine = _app_engine(pgdata)
    try:
        stored = await _stored(engine, world.tenant)
        worker_back = await _worker_connected(engine)
    finally:
        await engine.dispose()
    return Run(before, after, readiness, stored, worker_back)


@pytest.fixture(scope="module")
def killed_while_saving(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Run, str, Path]:
    """One `tend run` whose PostgreSQL was killed under the saves: what happened, its log
    (once stopped), and its data folder."""
    log = tmp_path_factory.mktemp("durability") / "tend.log"
    port = free_port()
    process = start(data_dir, port, log, test_keys=True)
    try:
        wait_ready(port, process, log)
        run = asyncio.run(_kill_while_saving(f"http://127.0.0.1:{port}", data_dir / "pg"))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return run, log.read_text(), data_dir


def test_tend_run_restarts_a_killed_embedded_postgresql_and_says_so(
    killed_while_saving: tuple[Run, str, Path],
) -> None:
    run, output, data_dir = killed_while_saving
    assert STOPPED in output, output
    assert BACK in output.split(STOPPED, 1)[1], output
    assert run.before.refused, "PostgreSQL was killed only after every note was saved"
    assert run.after.acknowledged, f"no note saved after the restart: {run.after.refused}"
    assert run.worker_back, f"no background worker after the restart:\n{output}"
    assert not (data_dir / "pg" / "postmaster.pid").exists(), "the restarted PostgreSQL was left"


def test_readyz_is_503_while_the_embedded_postgresql_is_down_then_200(
    killed_while_saving: tuple[Run, str, Path],
) -> None:
    readiness = killed_while_saving[0].readiness
    assert set(readiness) <= {200, 503}, f"/readyz answered {readiness}"
    assert readiness.index(503) < len(readiness) - 1 and readiness[-1] == 200


def test_every_note_acknowledged_as_saved_survives_a_killed_postgresql(
    killed_while_saving: tuple[Run, str, Path],
) -> None:
    run = killed_while_saving[0]
    acknowledged = run.before.acknowledged + run.after.acknowledged
    lost = [body for body in acknowledged if body not in run.stored]
    assert not lost, (
        f"{len(lost)} of {len(acknowledged)} notes Tend said were saved are not stored: "
        f"{sorted(lost)[:5]}"
    )


def test_saves_while_the_embedded_postgresql_is_down_answer_503_not_500(
    killed_while_saving: tuple[Run, str, Path],
) -> None:
    """A save the database could not take is "not saved, try again" (503), never a 500
    (0: the connection broke before any answer, which the carer's browser retries too)."""
    refused = killed_while_saving[0].before.refused
    assert set(refused) <= {0, 503}, f"answers to the saves that were not stored: {refused}"
