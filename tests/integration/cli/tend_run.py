"""The real `tend run` console script in a subprocess, on a data folder of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(
    data_dir: Path, port: int, log: Path, workers: int = 1, *, test_keys: bool = False
) -> subprocess.Popen[bytes]:
    """`tend run` in the embedded mode. A new user has no keys (they are generated into the
    data folder); with `test_keys` it uses this run's, so the factories can seal for it."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_OWNER_URL")}
    if not test_keys:
        env.pop("TEND_SECRET_KEY", None)
    env["TEND_DATA_DIR"] = str(data_dir)
    tend = Path(sys.executable).with_name("tend")
    return subprocess.Popen(
        [str(tend), "run", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )


def wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
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
