"""The page shell in a real browser: clean console, strict CSP honoured, Arabic mirrored."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import csp_violations

pytestmark = pytest.mark.browser


async def test_home_page_loads_without_errors_or_csp_violations(page: Page) -> None:
    response = await page.goto("/")
    assert response is not None and response.status == 200
    await expect(page.get_by_role("heading", level=1)).to_have_text("Care, coordinated")
    # htmx loaded and took its settings from the static module, not from inline script.
    assert await page.evaluate("window.htmx.config.selfRequestsOnly") is True
    assert await page.evaluate("window.htmx.config.historyCacheSize") == 0
    assert page.problems.console_errors == []  # type: ignore[attr-defined]
    assert page.problems.page_errors == []  # type: ignore[attr-defined]
    assert await csp_violations(page) == []


async def test_arabic_page_is_right_to_left_and_mirrored(page: Page) -> None:
    await page.context.set_extra_http_headers({"Accept-Language": "ar"})
    await page.goto("/")
    html = page.locator("html")
    await expect(html).to_have_attribute("lang", "ar")
    await expect(html).to_have_attribute("dir", "rtl")
    assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # The brand starts the top bar, so in Arabic it sits at the right-hand edge.
    brand = await page.locator(".topbar__brand").bounding_box()
    language = await page.locator(".topbar__action").bounding_box()
    assert brand is not None and language is not None
    assert brand["x"] > language["x"]
    assert await csp_violations(page) == []


async def test_choosing_a_language_changes_the_whole_interface(page: Page) -> None:
    await page.goto("/")
    await page.locator(".topbar__action").click()
    await page.get_by_label("العربية").check()
    await page.locator("form button[type=submit]").click()
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page).to_have_url("/")
    assert page.problems.console_errors == []  # type: ignore[attr-defined]


async def test_skip_link_is_first_and_moves_focus_to_the_content(page: Page) -> None:
    await page.goto("/")
    await page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_visible()
    await page.keyboard.press("Enter")
    await expect(page.locator("#main")).to_be_focused()
