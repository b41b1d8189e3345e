"""`tend run` on a fresh machine: embedded PostgreSQL, migrations, serving, a clean Ctrl-C.

This drives the real console script in a subprocess, as a new user would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(data_dir: Path, port: int, log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_OWNER_URL")}
    env.pop("TEND_SECRET_KEY", None)  # a new user has none: it is generated into the data dir
    env["TEND_DATA_DIR"] = str(data_dir)
    tend = Path(sys.executable).with_name("tend")
    return subprocess.Popen(
        [str(tend), "run", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"tend run exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    pytest.fail(f"tend run was not ready within 60 s:\n{log.read_text()}")


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


def test_run_serves_stops_cleanly_and_keeps_its_data(tmp_path: Path) -> None:
    """Ctrl-C, then SIGTERM: each stops Tend and its PostgreSQL, and the data stays."""
    data_dir = tmp_path / "data"
    log = tmp_path / "tend.log"
    port = _free_port()

    first = _start(data_dir, port, log)
    try:
        _wait_ready(port, first, log)
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

    second = _start(data_dir, port, log, workers=2)
    try:
        _wait_ready(port, second, log)
        home = httpx.get(f"http://127.0.0.1:{port}/")
        assert "No care accounts yet" not in home.text  # the tenant from the first run is there
    finally:
        assert _terminate(second) == 0
    assert not (data_dir / "pg" / "postmaster.pid").exists(), "SIGTERM left PostgreSQL running"
