"""`tend run` and `tend migrate`."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from typing import Any

import click

from app.cli._database import (
    Database,
    database,
    migrate_database,
)
from app.cli._group import main
from app.cli._worker import worker_process
from app.config import Settings, get_settings
from app.db import migrate
from app.lib.keys import load_key, master_keys, mfa_key


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve_options(command: Callable[..., None]) -> Callable[..., None]:
    """--host, --port and --workers, shared by `tend run` and `tend demo`."""
    command = click.option(
        "--workers", type=int, default=None, help="Web worker processes [TEND_WORKERS, 1]."
    )(command)
    command = click.option("--port", type=int, default=None, help="Port [TEND_PORT, 8000].")(
        command
    )
    return click.option(
        "--host", default=None, help="Address to listen on [TEND_HOST, 127.0.0.1]."
    )(command)


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's forwarded-header settings: believe only the proxies the operator named.

    uvicorn's own default trusts 127.0.0.1, so anyone able to connect from this machine
    (or through a proxy that passes the header on) could choose the address that sign-in
    limits and the audit log count.
    """
    trusted = settings.server.trusted_proxies
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": ",".join(trusted)}


def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    before_serving: Callable[[Database], None] | None = None,
) -> None:
    """Start the database (embedded unless DATABASE_URL), migrate, then serve until stopped.
    `before_serving` runs once the database is ready (the demo loads its data there)."""
    import uvicorn

    settings = get_settings()
    host = host or settings.server.host
    port = port or settings.server.port
    workers = workers or settings.server.workers
    # Generate missing development keys once, here, before worker processes race for them.
    load_key(settings, "TEND_SECRET_KEY", "secret_key")
    master_keys(settings)
    mfa_key(settings)
    # uvicorn re-raises SIGTERM after its graceful shutdown; as an exception it unwinds
    # through `database()`, which then stops the embedded PostgreSQL (systemd, containers).
    signal.signal(signal.SIGTERM, _terminate)
    with database(settings, keep_running=True) as db:
        migrate_database(db)
        if before_serving is not None:
            before_serving(db)
        # Worker processes read their settings from the environment.
        os.environ["DATABASE_URL"] = db.app_url
        os.environ["TEND_DATA_DIR"] = str(settings.data_dir)
        get_settings.cache_clear()
        click.echo(f"Tend is serving on http://{host}:{port}  (database: {db.description})")
        click.echo("Press Ctrl-C to stop.")
        # One machine, one command: the embedded mode runs the background jobs too, in a
        # `tend worker` child process (its own event loop, off the web processes' CPU).
        # With DATABASE_URL the operator runs `tend worker` where they choose.
        jobs = worker_process(db) if settings.database.embedded else contextlib.nullcontext()
        with jobs:
            uvicorn.run(
                "app.asgi:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
                server_header=False,
                **proxy_options(settings),
            )
    click.echo("Tend stopped.")


@main.command()
@serve_options
def run(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve Tend, starting an embedded PostgreSQL when DATABASE_URL is unset."""
    serve(host, port, workers)


@main.command("migrate")
def migrate_command() -> None:
    """Run the database migrations to the newest version, then exit."""
    settings = get_settings()
    with database(settings) as db:
        migrate_database(db)
        click.echo(f"Migrated to {migrate.head_revision()} ({db.description}).")
