"""Browser tests: Playwright drives the system Chromium against a live Tend server.

The server runs in a subprocess on a random loopback port, as the app role, against the
run's test database. Without Chromium these tests are skipped, except under CI, where a
missing browser fails the run: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from tests.conftest import DatabaseUnderTest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}

# Records Content-Security-Policy violations, which do not always reach the console.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def chromium_path() -> str:
    candidates = [
        os.environ.get("CHROMIUM_PATH", ""),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    reason = "Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}. CI must run the browser tests.")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(
    test_database: DatabaseUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    chromium_path()  # skip (or fail under CI) before paying for a server
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": test_database.app_url,
        "TEND_DATA_DIR": str(tmp_path_factory.mktemp("live-data")),
    }
    log = (tmp_path_factory.mktemp("live-log") / "server.log").open("w+")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.asgi:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"the live server exited:\n{log.read()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("the live server did not become ready within 30 s")


@pytest.fixture(scope="session")
async def browser(live_server: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        yield instance
        await instance.close()


@dataclass
class PageProblems:
    """What went wrong in a page that a user would not see but a test must."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.console_errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))


@pytest.fixture
async def phone(browser: Browser, live_server: str) -> AsyncIterator[BrowserContext]:
    """A phone-sized browser context whose relative URLs go to the live server."""
    context = await browser.new_context(base_url=live_server, **PHONE)
    await context.add_init_script(WATCH_CSP)
    yield context
    await context.close()


@pytest.fixture
async def page(phone: BrowserContext) -> AsyncIterator[Page]:
    page = await phone.new_page()
    problems = PageProblems()
    problems.attach(page)
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    await page.close()


async def csp_violations(page: Page) -> list[str]:
    return await page.evaluate("window.__cspViolations")
