"""A care note kept offline says it is waiting, not refused, and stays waiting when Tend
answers 5xx; only a 4xx refusal would mark it refused."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from playwright.async_api import Browser, Page, Route, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser.conftest import PHONE, WATCH_CSP
from tests.browser.test_pwa import _count, _peggy, _sign_in, demo  # noqa: F401

pytestmark = pytest.mark.browser

ONLINE = "window.dispatchEvent(new Event('online'))"


async def _stored_as_refused(page: Page, words: str) -> list[bool]:
    return await page.evaluate(
        """(words) => new Promise((resolve) => {
          const open = indexedDB.open("tend-offline-notes", 1);
          open.onsuccess = () => {
            const request = open.result.transaction("notes").objectStore("notes").getAll();
            request.onsuccess = () =>
              resolve(request.result.filter((n) => n.text === words).map((n) => n.refused));
          };
        })""",
        words,
    )


async def test_a_waiting_note_says_waiting_and_a_503_keeps_it_waiting(
    browser: Browser,
    live_server: str,
    demo: str,  # noqa: F811
    app_engine: AsyncEngine,
) -> None:
    words = f"Peggy dozed after lunch, no signal in her room ({uuid.uuid4().hex[:6]})."
    # No service worker: the page itself keeps and sends the notes, and every request it
    # makes goes through the routes below.
    context = await browser.new_context(base_url=live_server, service_workers="block", **PHONE)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    try:
        await _sign_in(page, demo)
        peggy = await _peggy(page)
        await page.goto(f"/patients/{peggy}/notes")

        await context.set_offline(True)
        await page.get_by_role("link", name="Write a note").click()
        form = page.locator("#note-composer-list form")
        await form.get_by_label("Note").fill(words)  # not a handover note
        await form.get_by_role("button", name="Save note").click()

        waiting = page.locator("#note-list li").filter(has_text=words)
        await expect(waiting).to_have_count(1)
        await expect(waiting.get_by_text("Waiting to send")).to_be_visible()
        await expect(waiting.get_by_text("Not sent: Tend refused this note")).to_be_hidden()
        await expect(waiting.get_by_role("button", name="Remove")).to_be_hidden()
        await expect(waiting.get_by_text("Handover")).to_be_hidden()
        shown = await waiting.inner_text()  # what a person sees (hidden parts left out)
        assert "Waiting to send" in shown
        assert "refused" not in shown
        assert "Remove" not in shown
        assert "Handover" not in shown

        # Back online, Tend answers 503 (not saved): the note stays waiting and is tried
        # again. Were it marked refused, no second attempt would ever be made.
        attempts: list[str] = []
        tried = asyncio.Event()

        async def not_saved(route: Route) -> None:
            if route.request.method != "POST":
                await route.continue_()
                return
            attempts.append(route.request.url)
            tried.set()
            await route.fulfill(status=503, body="<div role=alert>Not saved</div>")

        await context.route(f"**/patients/{peggy}/notes", not_saved)
        await context.set_offline(False)
        await asyncio.wait_for(tried.wait(), timeout=20)
        for _ in range(40):  # until the first answer is handled and a retry goes out
            if len(attempts) >= 2:
                break
            tried.clear()
            await page.evaluate(ONLINE)
            try:
                await asyncio.wait_for(tried.wait(), timeout=0.5)
            except TimeoutError:
                continue
        assert len(attempts) >= 2
        assert await _stored_as_refused(page, words) == [False]
        await expect(waiting.get_by_text("Waiting to send")).to_be_visible()
        await expect(waiting.get_by_text("Not sent: Tend refused this note")).to_be_hidden()
        assert await _count(app_engine, page, words) == 0

        # Tend back: the next try stores it, once.
        await context.unroute(f"**/patients/{peggy}/notes", not_saved)
        await page.evaluate(ONLINE)
        sent = page.locator("#note-list li").filter(has_text=words)
        await expect(sent.locator("article[id^=note-]")).to_have_count(1)
        assert await _count(app_engine, page, words) == 1
    finally:
        await context.close()
