"""The database the operator commands use: the configured one, or the embedded one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import click
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings, async_url, get_settings, url_user
from app.db import embedded, migrate
from app.db.models import Tenant
from app.db.provision import provision

T = TypeVar("T")


log = logging.getLogger("tend")


@dataclass(frozen=True)
class Database:
    app_url: str
    owner_url: str
    description: str


@contextlib.contextmanager
def database(settings: Settings, keep_running: bool = False) -> Iterator[Database]:
    """The configured database, or the embedded one started (and stopped) around the block;
    with `keep_running`, the embedded one is started again whenever it dies (`tend run`)."""
    if not settings.database.embedded:
        yield Database(
            app_url=settings.database.url,
            owner_url=settings.database.migrations_url,
            description=_describe(settings.database.url),
        )
        return
    server = embedded.start(settings.data_dir)
    try:
        urls = asyncio.run(provision(server.get_uri()))
        watchdog = (
            embedded.restarted_if_it_dies(server) if keep_running else contextlib.nullcontext()
        )
        with watchdog:
            yield Database(
                app_url=urls.app_url,
                owner_url=urls.owner_url,
                description=f"embedded PostgreSQL 16, data in {settings.data_dir / 'pg'}",
            )
    finally:
        server.cleanup()


def _describe(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"PostgreSQL at {parts.hostname or 'local socket'}:{parts.port or 5432}{parts.path}"


def migrate_database(db: Database) -> None:
    if db.owner_url == db.app_url:
        log.warning(
            "DATABASE_OWNER_URL is not set: migrations run as the app role, which then owns "
            "the tables. Use a separate owner role in production (see README)."
        )
    migrate.upgrade(db.owner_url, url_user(db.app_url))


Sessions = async_sessionmaker[AsyncSession]


@contextlib.asynccontextmanager
async def app_sessions(db: Database) -> AsyncIterator[Sessions]:
    """Sessions as the app role (never the owner): RLS binds these commands too."""
    engine = create_async_engine(
        async_url(db.app_url),
        poolclass=NullPool,
        connect_args={"server_settings": {"application_name": "tend-cli"}},
    )
    try:
        try:
            async with engine.connect() as conn:
                version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        except (DBAPIError, OSError) as exc:
            msg = f"Cannot read Tend's schema ({exc}). Check DATABASE_URL; run `tend migrate`."
            raise click.ClickException(msg) from exc
        if version != migrate.head_revision():
            msg = (
                f"The database is at migration {version}, this Tend expects "
                f"{migrate.head_revision()}: run `tend migrate` first."
            )
            raise click.ClickException(msg)
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


def with_app_sessions(work: Callable[[Sessions], Awaitable[T]]) -> T:
    """Run `work` against the configured database (the embedded one is started, and
    migrated as `tend run` would)."""
    settings = get_settings()
    with database(settings) as db:
        if settings.database.embedded:
            migrate_database(db)

        async def go() -> T:
            async with app_sessions(db) as sessions:
                return await work(sessions)

        return asyncio.run(go())


async def care_accounts(
    sessions: Sessions, only: uuid.UUID | None = None
) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of every care account, or of the one asked for. The tenants table is
    the one global list the app role may read whole."""
    statement = select(Tenant.id, Tenant.name).order_by(Tenant.created_at, Tenant.id)
    if only is not None:
        statement = statement.where(Tenant.id == only)
    async with sessions() as session:
        found = [(row.id, row.name) for row in await session.execute(statement)]
    if only is not None and not found:
        raise click.ClickException(f"There is no care account {only}.")
    return found
