"""`tend run` believes X-Forwarded-For only from the proxies in TEND_TRUSTED_PROXIES.

Driven through the real command in a subprocess (uvicorn applies forwarded headers before
the app sees the request), against the run's test database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.cli._serve import proxy_options
from app.config import ServerSettings, Settings
from tests.conftest import DatabaseUnderTest
from tests.integration.web.browser_like import page_token

# Over 30 a minute is refused; two windows' worth, so a minute boundary cannot hide it.
ATTEMPTS = 61


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(test_database: DatabaseUnderTest, tmp_path: Path) -> Iterator[str]:
    """`tend run` on the test database, with no TEND_TRUSTED_PROXIES (the default)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("FORWARDED_ALLOW_IPS",)}
    env.pop("TEND_TRUSTED_PROXIES", None)
    env |= {
        "DATABASE_URL": test_database.app_url,
        "DATABASE_OWNER_URL": test_database.owner_url,
        "TEND_DATA_DIR": str(tmp_path / "data"),
        "TEND_PORT": str(port),
    }
    log = tmp_path / "tend.log"
    tend = Path(sys.executable).with_name("tend")
    process = subprocess.Popen(
        [str(tend), "run"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"tend run exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"tend run was not ready within 60 s:\n{log.read_text()}")
            time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_a_rotating_forwarded_for_does_not_reset_the_sign_in_limit(
    served: str, app_engine: AsyncEngine
) -> None:
    try:
        async with httpx.AsyncClient(base_url=served, timeout=30) as client:
            token = page_token(await client.get("/login"))
            statuses = []
            for attempt in range(ATTEMPTS):
                response = await client.post(
                    "/login",
                    # No password: refused at once, yet counted against the address.
                    data={"email": f"guess{attempt}@example.com", "password": ""},
                    headers={"x-csrftoken": token, "X-Forwarded-For": f"203.0.113.{attempt}"},
                )
                statuses.append(response.status_code)
        assert 429 in statuses, statuses
    finally:
        # Committed for real: leave no spent allowance for the browser tests' sign-ins.
        async with app_engine.begin() as conn:
            await conn.execute(text("DELETE FROM rate_limits WHERE key LIKE 'signin:%'"))


def test_forwarded_headers_are_believed_only_from_named_proxies() -> None:
    nobody = proxy_options(Settings())
    assert nobody == {"proxy_headers": False, "forwarded_allow_ips": ""}
    named = Settings(server=ServerSettings(trusted_proxies=("10.0.0.5", "192.168.0.0/16")))
    assert proxy_options(named) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.5,192.168.0.0/16",
    }


def test_trusted_proxies_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEND_TRUSTED_PROXIES", " 10.0.0.5, 192.168.0.0/16 ,")
    assert Settings.from_env().server.trusted_proxies == ("10.0.0.5", "192.168.0.0/16")
