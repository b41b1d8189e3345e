"""Changing a password on a phone: the account page's form, in a real browser."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import csp_violations
from tests.browser.test_care_team import _sign_up_admin
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
NEW_PASSWORD = "lantern meadow copper violin"


async def _fits_the_screen(page: Page) -> bool:
    return await page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


async def test_a_person_changes_their_password_on_a_phone(page: Page) -> None:
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    await _sign_up_admin(page, email)

    await page.goto("/account")
    await page.get_by_role("link", name="Change your password").click()
    await expect(page).to_have_url(re.compile(r"/account/password$"))
    assert await _fits_the_screen(page)
    await page.get_by_label("Current password").fill("not my password at all")
    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("New password again").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change password").click()
    await expect(page.locator("#error-current_password")).to_have_text(
        "That is not your current password."
    )
    await expect(page.get_by_label("New password", exact=True)).to_have_value(NEW_PASSWORD)

    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_role("button", name="Change password").click()

    await expect(page.locator(".notice--info")).to_contain_text("Password changed")
    assert await _fits_the_screen(page)
    await page.goto("/account")  # still signed in here
    await expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert await csp_violations(page) == []
    assert page.problems.page_errors == []  # type: ignore[attr-defined]
