"""Test harness: a real PostgreSQL, migrated once per run; each test rolled back.

`TEST_DATABASE_URL` (a role that can create databases and roles) picks a server;
without it an embedded PostgreSQL (pgserver) is started for the run. Either way a fresh
database `tend_test_<random>` gets Tend's two roles and the real Alembic migrations, and
the app under test connects as the app role, so row-level security applies to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import DatabaseSettings, Settings, async_url
from app.db import embedded, migrate
from app.db.provision import drop, provision
from app.lib import cookies as tend_cookies
from app.lib import csrf, i18n, session_tokens
from app.lib.crypto import encode_key, new_key

APP_ROLE = "tend_app"
OWNER_ROLE = "tend_owner"

logging.getLogger("pgserver").setLevel(logging.WARNING)

# Settings the app reads from the environment in every process of this run.
os.environ.setdefault("TEND_SECRET_KEY", secrets.token_urlsafe(32))
os.environ.setdefault("TEND_ENV", "test")
os.environ.setdefault("TEND_TEST_CHEAP_ARGON2", "1")  # real argon2id, test-sized parameters
# Keys shared by the app under test and the factories (which seal TOTP secrets).
os.environ.setdefault("TEND_MASTER_KEY", encode_key(new_key()))
os.environ.setdefault("TEND_MFA_KEY", encode_key(new_key()))


@pytest.fixture(autouse=True)
def _forget_database_config_keys() -> Iterator[None]:
    """advanced-alchemy keeps every app's session and state keys in class-wide sets and
    finds a free one by recursion, so after ~1,000 apps in one run `create_app()` fails
    with RecursionError. One app per process in production; here each test makes its own."""
    yield
    for registry in (
        SQLAlchemyAsyncConfig._SESSION_SCOPE_KEY_REGISTRY,
        SQLAlchemyAsyncConfig._ENGINE_APP_STATE_KEY_REGISTRY,
        SQLAlchemyAsyncConfig._SESSIONMAKER_APP_STATE_KEY_REGISTRY,
    ):
        registry.clear()


@dataclass(frozen=True)
class DatabaseUnderTest:
    admin_url: str
    owner_url: str
    app_url: str
    name: str
    kind: str


@pytest.fixture(scope="session")
def test_database() -> Iterator[DatabaseUnderTest]:
    admin_url = os.environ.get("TEST_DATABASE_URL", "")
    server = None
    kind = "server"
    if not admin_url:
        server = embedded.start(Path(tempfile.mkdtemp(prefix="tend-test-pg-")))
        admin_url = server.get_uri()
        kind = "embedded"
    name = f"tend_test_{secrets.token_hex(4)}"
    urls = asyncio.run(provision(admin_url, name, OWNER_ROLE, APP_ROLE))
    migrate.upgrade(urls.owner_url, APP_ROLE)
    try:
        yield DatabaseUnderTest(admin_url, urls.owner_url, urls.app_url, name, kind)
    finally:
        asyncio.run(drop(admin_url, name))
        if server is not None:
            server.cleanup()


@pytest.fixture(scope="session")
def settings(
    test_database: DatabaseUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        database=DatabaseSettings(url=test_database.app_url, owner_url=test_database.owner_url),
        data_dir=tmp_path_factory.mktemp("data"),
    )


@pytest.fixture(scope="session")
async def app_engine(test_database: DatabaseUnderTest) -> AsyncIterator[AsyncEngine]:
    """Connections as the app role: what the web app itself uses."""
    engine = create_async_engine(async_url(test_database.app_url), poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def owner_engine(test_database: DatabaseUnderTest) -> AsyncIterator[AsyncEngine]:
    """Connections as the owner role: for schema tests that build tables of their own."""
    engine = create_async_engine(async_url(test_database.owner_url), poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(app_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One app-role connection in a transaction that is rolled back after the test."""
    async with app_engine.connect() as conn:
        transaction = await conn.begin()
        # Counters other processes committed (the browser tests' live server signs in
        # from 127.0.0.1 too) must not spend this test's allowance; rolled back with it.
        await conn.execute(text("DELETE FROM rate_limits"))
        await conn.execute(text("DELETE FROM login_throttle"))
        try:
            yield conn
        finally:
            await transaction.rollback()


def _session_maker(connection: AsyncConnection):  # type: ignore[no-untyped-def]
    # Every session joins the test's transaction; its commits become savepoints.
    def make() -> AsyncSession:
        return AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    return make


@pytest.fixture
async def db_session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    session = _session_maker(connection)()
    yield session
    await session.close()


@pytest.fixture
def app(settings: Settings, connection: AsyncConnection) -> Litestar:
    from app.asgi import create_app

    return create_app(settings, session_maker=_session_maker(connection))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    # In the test's own event loop (Litestar's test client runs the app in another loop,
    # where the test's connection cannot follow). https: the app's cookies are Secure.
    async with running(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
            yield c


@contextlib.asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """The app's startup and shutdown around a block.

    The lifespan runs in a task of its own: it enters and leaves its task group in one
    task, while a fixture's setup and teardown may run in different ones.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # startup failed: raise its error here
    try:
        yield
    finally:
        stop.set()
        await task


# The test client talks https, so Tend's cookies carry the `__Host-` prefix.
SESSION_COOKIE = tend_cookies.HOST_PREFIX + session_tokens.COOKIE
CSRF_COOKIE = tend_cookies.HOST_PREFIX + csrf.COOKIE
LOCALE_COOKIE = tend_cookies.HOST_PREFIX + i18n.LOCALE_COOKIE


async def csrf_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """The header htmx sends on unsafe requests: the token a page loaded now would carry
    (bound to the client's session, or, signed out, to its CSRF cookie)."""
    if SESSION_COOKIE not in client.cookies and CSRF_COOKIE not in client.cookies:
        response = await client.get("/login")  # a first page gives a visitor the cookie
        assert CSRF_COOKIE in client.cookies, f"no CSRF cookie after GET ({response.status_code})"
    token = csrf.token_for(
        os.environ["TEND_SECRET_KEY"],
        client.cookies.get(SESSION_COOKIE),
        client.cookies.get(CSRF_COOKIE),
    )
    assert token
    return {"x-csrftoken": token}
