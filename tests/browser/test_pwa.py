"""The installable app in Chromium: installability, the offline page, notes written
offline and sent once, nothing private in the service worker's caches, and the warning
before signing out deletes notes not yet sent."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db.models.care_notes import CareNote
from app.db.tenancy import bind_tenant
from app.domain.demo.seed import PATIENTS, PEOPLE, load_demo
from app.domain.keys.keyring import Keyring
from app.lib.keys import master_keys
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, WATCH_CSP, PageProblems, chromium_path
from tests.browser.conftest import csp_violations as csp_violations_of

pytestmark = pytest.mark.browser

CARER_EMAIL = PEOPLE[0][1]
PEGGY = PATIENTS[0].display_name

CACHED_URLS = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) found.push(new URL(request.url).pathname);
  }
  return found;
}"""


@pytest.fixture
async def demo(app_engine: AsyncEngine, settings: Settings) -> AsyncIterator[str]:
    """The demo care account in the live server's database (loaded once); its password."""
    async with AsyncSession(app_engine, expire_on_commit=False) as session:
        logins = await load_demo(
            session, Keyring(master_keys(settings)), os.environ["TEND_SECRET_KEY"]
        )
        await session.execute(text("DELETE FROM login_throttle"))
        await session.commit()
    yield logins.password


async def _phone(browser: Browser, live_server: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(base_url=live_server, **PHONE)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    problems = PageProblems()
    problems.attach(page)
    page.problems = problems  # type: ignore[attr-defined]
    return context, page


async def _controlled(page: Page) -> None:
    """Wait until the service worker is active and controls this page."""
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not await page.evaluate("Boolean(navigator.serviceWorker.controller)"):
        await page.reload()
    await page.wait_for_function("Boolean(navigator.serviceWorker.controller)")


async def _sign_in(page: Page, password: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email address").fill(CARER_EMAIL)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/login"))


async def _peggy(page: Page) -> str:
    await page.goto("/today")
    await page.get_by_role("link", name=re.compile(PEGGY)).click()
    await expect(page).to_have_url(re.compile(r"/patients/[0-9a-f-]{36}/today$"))
    return page.url.split("/patients/")[1].split("/")[0]


async def _count(app_engine: AsyncEngine, page: Page, words: str) -> int:
    """How many notes with exactly these words the server has, in the carer's account
    (read as the app role, bound to the tenant the page names)."""
    tenant = (await page.locator("#pwa").get_attribute("data-owner") or "").split(":")[0]
    async with AsyncSession(app_engine) as session:
        await bind_tenant(session, uuid.UUID(tenant))
        return await session.scalar(
            select(func.count()).select_from(CareNote).where(CareNote.body == words)
        )  # type: ignore[return-value]


async def test_chromium_reports_no_installability_errors(live_server: str, tmp_path: Path) -> None:
    async with async_playwright() as playwright:
        # Installability is never reported for an incognito context: a profile on disk.
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
            base_url=live_server,
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto("/")
            await _controlled(page)
            cdp = await context.new_cdp_session(page)
            manifest = await cdp.send("Page.getAppManifest")
            assert manifest["errors"] == []
            assert manifest["url"].startswith(f"{live_server}/manifest.webmanifest")
            installability = await cdp.send("Page.getInstallabilityErrors")
            assert installability["installabilityErrors"] == []
        finally:
            await context.close()


async def test_a_note_written_offline_waits_then_is_stored_exactly_once(
    browser: Browser, live_server: str, demo: str, app_engine: AsyncEngine
) -> None:
    words = f"Peggy had soup and a cup of tea, no connection here ({uuid.uuid4().hex[:6]})."
    context, page = await _phone(browser, live_server)
    try:
        await _sign_in(page, demo)
        peggy = await _peggy(page)
        await page.goto(f"/patients/{peggy}/notes")
        await _controlled(page)

        await context.set_offline(True)
        await page.get_by_role("link", name="Write a note").click()
        form = page.locator("#note-composer-list form")
        await expect(form.get_by_text("a photo cannot be kept")).to_be_visible()
        await form.get_by_label("Note").fill(words)
        await form.get_by_label("Handover: the next carer should read this").check()
        await form.get_by_role("button", name="Save note").click()

        waiting = page.locator("#note-list li").filter(has_text=words)
        await expect(waiting).to_have_count(1)
        await expect(waiting).to_contain_text("Waiting to send")
        bar = page.locator("#notes-waiting")
        await expect(bar).to_be_visible()
        await expect(bar.locator("summary")).to_contain_text("Notes waiting to send: 1")
        await expect(page.locator("#note-composer-list form")).to_have_count(0)
        assert await _count(app_engine, page, words) == 0

        await context.set_offline(False)
        await expect(bar).to_be_hidden()
        sent = page.locator("#note-list li").filter(has_text=words)
        await expect(sent).to_have_count(1)
        await expect(sent).not_to_contain_text("Waiting to send")
        await expect(sent.locator("article[id^=note-]")).to_have_count(1)
        assert await _count(app_engine, page, words) == 1

        # Coming back (the next start of the app) sends nothing again.
        await page.reload()
        await expect(page.locator("#note-list li").filter(has_text=words)).to_have_count(1)
        await expect(bar).to_be_hidden()
        assert await _count(app_engine, page, words) == 1

        # A page of the record, asked for offline: the offline page, not an error.
        await context.set_offline(True)
        await page.goto(f"/patients/{peggy}/today")
        await expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
        await expect(page.locator("body")).not_to_contain_text(PEGGY)
        await context.set_offline(False)

        # Nothing but static files and the offline page was ever cached.
        cached = await page.evaluate(CACHED_URLS)
        assert "/offline" in cached
        assert any(url.startswith("/static/") for url in cached)
        assert [u for u in cached if not (u.startswith("/static/") or u == "/offline")] == []

        assert await csp_violations_of(page) == []
        assert page.problems.page_errors == []  # type: ignore[attr-defined]
    finally:
        await context.close()


async def test_signing_out_warns_before_deleting_notes_not_yet_sent(
    browser: Browser, live_server: str, demo: str
) -> None:
    context, page = await _phone(browser, live_server)
    try:
        await _sign_in(page, demo)
        peggy = await _peggy(page)
        await page.goto("/account")
        # A note kept on the phone that Tend refused: it stays until removed or signed out.
        await page.evaluate(
            """([patient]) => new Promise((resolve, reject) => {
              const open = indexedDB.open("tend-offline-notes", 1);
              open.onupgradeneeded = () => open.result.createObjectStore("notes", {keyPath: "key"});
              open.onsuccess = () => {
                const tx = open.result.transaction("notes", "readwrite");
                tx.objectStore("notes").put({
                  key: crypto.randomUUID(), owner: document.getElementById("pwa").dataset.owner,
                  patientId: patient, url: `/patients/${patient}/notes`, category: "general",
                  categoryLabel: "General", text: "Kept on the phone", handover: false,
                  createdAt: new Date().toISOString(), refused: true,
                });
                tx.oncomplete = () => { open.result.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
              };
            })""",
            [peggy],
        )
        await page.reload()
        await expect(page.locator("#notes-waiting summary")).to_contain_text(
            "Notes waiting to send: 1"
        )

        await page.get_by_role("button", name="Sign out", exact=True).click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_contain_text("If you sign out now, they will be deleted")
        await expect(dialog.locator("[data-waiting-count]")).to_have_text("1")
        await dialog.get_by_role("button", name="Stay signed in").click()
        await expect(dialog).to_be_hidden()
        await expect(page).to_have_url(re.compile(r"/account$"))

        await page.get_by_role("button", name="Sign out", exact=True).click()
        await (
            page.get_by_role("dialog")
            .get_by_role("button", name="Delete them and sign out")
            .click()
        )
        await expect(page).not_to_have_url(re.compile(r"/account$"))
        left = await page.evaluate(
            """() => new Promise((resolve) => {
              const open = indexedDB.open("tend-offline-notes", 1);
              open.onsuccess = () => {
                const request = open.result.transaction("notes").objectStore("notes").count();
                request.onsuccess = () => resolve(request.result);
              };
            })"""
        )
        assert left == 0
    finally:
        await context.close()
