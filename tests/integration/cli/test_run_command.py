"""`tend run` on a fresh machine: embedded PostgreSQL, migrations, serving, a clean Ctrl-C.

This drives the real console script in a subprocess, as a new user would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import asyncpg
import httpx

from tests.integration.cli.tend_run import free_port, start, wait_ready


def _interrupt(process: subprocess.Popen[bytes]) -> int:
    # Ctrl-C signals the whole foreground group: Tend, its workers, and PostgreSQL.
    os.killpg(process.pid, signal.SIGINT)
    return process.wait(timeout=30)


def _terminate(process: subprocess.Popen[bytes]) -> int:
    # What systemd or a container runtime sends to the main process alone.
    process.terminate()
    return process.wait(timeout=30)


async def _add_tenant(socket_dir: Path) -> None:
    conn = await asyncpg.connect(user="tend_app", database="tend", host=str(socket_dir))
    try:
        await conn.execute(
            "INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'Riverside Care')"
        )
    finally:
        await conn.close()


def test_run_serves_stops_cleanly_and_keeps_its_data(data_dir: Path, tmp_path: Path) -> None:
    """Ctrl-C, then SIGTERM: each stops Tend and its PostgreSQL, and the data stays."""
    log = tmp_path / "tend.log"
    port = free_port()

    first = start(data_dir, port, log)
    try:
        wait_ready(port, first, log)
        home = httpx.get(f"http://127.0.0.1:{port}/")
        assert home.status_code == 200
        assert "No care accounts yet" in home.text
        asyncio.run(_add_tenant(data_dir / "pg"))
    finally:
        code = _interrupt(first)
    assert code == 0, log.read_text()
    assert not (data_dir / "pg" / "postmaster.pid").exists(), "PostgreSQL was left running"
    assert (data_dir / "keys" / "secret_key").stat().st_mode & 0o777 == 0o600
    output = log.read_text()
    assert f"http://127.0.0.1:{port}" in output
    assert "embedded PostgreSQL" in output

    second = start(data_dir, port, log, workers=2)
    try:
        wait_ready(port, second, log)
        home = httpx.get(f"http://127.0.0.1:{port}/")
        assert "No care accounts yet" not in home.text  # the tenant from the first run is there
    finally:
        assert _terminate(second) == 0
    assert not (data_dir / "pg" / "postmaster.pid").exists(), "SIGTERM left PostgreSQL running"
