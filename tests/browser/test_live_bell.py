"""The bell on a phone: it changes without a reload when an alert is raised, read or
resolved elsewhere, and the app's icon badge follows it (set to the count, cleared at 0)."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from tests.browser.conftest import csp_violations
from tests.integration.live.conftest import World, commit_alert, make_world, run_sql, session_cookie

pytestmark = pytest.mark.browser

# The Badging API, observed: each call is recorded instead of reaching the OS.
RECORD_BADGES = """
window.__badges = [];
navigator.setAppBadge = (n) => { window.__badges.push(["set", n]); return Promise.resolve(); };
navigator.clearAppBadge = () => { window.__badges.push(["clear"]); return Promise.resolve(); };
"""
NO_EVENT_SOURCE = "delete window.EventSource;"


async def _signed_in(
    phone: BrowserContext, live_server: str, app_engine: AsyncEngine, settings: Settings
) -> World:
    world = await make_world(app_engine, settings)
    cookies = await session_cookie(app_engine, world.tenant, world.carer)
    await phone.add_cookies(
        [{"name": name, "value": value, "url": live_server} for name, value in cookies.items()]
    )
    return world


async def _badges(page: Page) -> list[list]:
    return await page.evaluate("window.__badges")


async def test_the_bell_and_badge_follow_alerts_without_a_reload(
    phone: BrowserContext, page: Page, live_server: str, app_engine: AsyncEngine, settings: Settings
) -> None:
    world = await _signed_in(phone, live_server, app_engine, settings)
    await page.add_init_script(RECORD_BADGES)
    await page.goto("/patients")
    bell = page.locator("#bell")
    await expect(bell).to_have_attribute("aria-label", "Alerts, none unread")
    # Measured in one step in the page: the stream's first count swaps #bell, so a box
    # asked for through the locator can meet the element just as it is replaced.
    width, height = await page.evaluate(
        "(() => { const r = document.querySelector('#bell').getBoundingClientRect();"
        " return [r.width, r.height]; })()"
    )
    assert width >= 44 and height >= 44
    assert await _badges(page) == [["clear"]]  # from the count the page was served with

    first = await commit_alert(app_engine, world.tenant, world.patient)
    second = await commit_alert(app_engine, world.tenant, world.patient)

    await expect(bell).to_have_attribute("aria-label", "Alerts, 2 unread")
    await expect(bell.locator(".count-badge")).to_have_text("2")
    nav = page.locator(".bottom-nav [data-unread-place]")
    await expect(nav).to_have_attribute("aria-label", "Alerts, 2 unread")
    await expect(nav.locator(".count-badge")).to_have_text("2")
    await expect(page.locator("#bell-status")).to_have_text("Alerts, 2 unread")
    assert (await _badges(page))[-1] == ["set", 2]

    await run_sql(
        app_engine, world.tenant,
        "INSERT INTO alert_reads (tenant_id, alert_id, user_id) VALUES (:t, :a, :u)",
        t=world.tenant.id, a=first, u=world.carer.id,
    )  # fmt: skip
    await expect(bell).to_have_attribute("aria-label", "Alerts, 1 unread")
    assert (await _badges(page))[-1] == ["set", 1]

    await run_sql(
        app_engine, world.tenant,
        "UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = :u"
        " WHERE id = :a",
        a=second, u=world.carer.id,
    )  # fmt: skip
    await expect(bell).to_have_attribute("aria-label", "Alerts, none unread")
    await expect(bell.locator(".count-badge")).to_be_hidden()
    await expect(nav.locator(".count-badge")).to_be_hidden()
    assert (await _badges(page))[-1] == ["clear"]

    assert page.problems.console_errors == []  # type: ignore[attr-defined]
    assert page.problems.page_errors == []  # type: ignore[attr-defined]
    assert await csp_violations(page) == []


async def test_without_event_source_the_bell_polls(
    phone: BrowserContext, page: Page, live_server: str, app_engine: AsyncEngine, settings: Settings
) -> None:
    world = await _signed_in(phone, live_server, app_engine, settings)
    await page.add_init_script(RECORD_BADGES + NO_EVENT_SOURCE)
    await page.clock.install()
    await page.goto("/patients")
    bell = page.locator("#bell")
    await expect(bell).to_have_attribute("aria-label", "Alerts, none unread")

    await commit_alert(app_engine, world.tenant, world.patient)
    await page.clock.run_for(31_000)

    await expect(bell).to_have_attribute("aria-label", "Alerts, 1 unread")
    assert (await _badges(page))[-1] == ["set", 1]
    assert page.problems.page_errors == []  # type: ignore[attr-defined]
