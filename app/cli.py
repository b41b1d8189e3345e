"""The `tend` command: run, migrate.

Operator messages here are English: the CLI is for whoever runs the server, while
everything a carer, family member or admin sees in the app is translated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import click

from app.config import Settings, get_settings, url_user
from app.db import embedded, migrate
from app.db.provision import provision
from app.lib.keys import load_key

log = logging.getLogger("tend")


@dataclass(frozen=True)
class Database:
    app_url: str
    owner_url: str
    description: str


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[Database]:
    """The configured database, or the embedded one started (and stopped) around the block."""
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


def _migrate(db: Database) -> None:
    if db.owner_url == db.app_url:
        log.warning(
            "DATABASE_OWNER_URL is not set: migrations run as the app role, which then owns "
            "the tables. Use a separate owner role in production (see README)."
        )
    migrate.upgrade(db.owner_url, url_user(db.app_url))


@click.group()
def main() -> None:
    """Tend: care coordination."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("pgserver", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@main.command()
@click.option("--host", default=None, help="Address to listen on [TEND_HOST, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [TEND_PORT, 8000].")
@click.option("--workers", type=int, default=None, help="Web worker processes [TEND_WORKERS, 1].")
def run(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve Tend, starting an embedded PostgreSQL when DATABASE_URL is unset."""
    import uvicorn

    settings = get_settings()
    host = host or settings.server.host
    port = port or settings.server.port
    workers = workers or settings.server.workers
    load_key(settings, "TEND_SECRET_KEY", "secret_key")  # generate once, before workers race
    with database(settings) as db:
        _migrate(db)
        # Worker processes read their settings from the environment.
        os.environ["DATABASE_URL"] = db.app_url
        os.environ["TEND_DATA_DIR"] = str(settings.data_dir)
        get_settings.cache_clear()
        click.echo(f"Tend is serving on http://{host}:{port}  (database: {db.description})")
        click.echo("Press Ctrl-C to stop.")
        uvicorn.run(
            "app.asgi:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=True,
            server_header=False,
        )
    click.echo("Tend stopped.")


@main.command("migrate")
def migrate_command() -> None:
    """Run the database migrations to the newest version, then exit."""
    settings = get_settings()
    with database(settings) as db:
        _migrate(db)
        click.echo(f"Migrated to {migrate.head_revision()} ({db.description}).")


if __name__ == "__main__":
    main()
