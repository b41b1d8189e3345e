"""A care team from nothing, in a real browser: sign up, MFA, invite, share, and look.

An admin creates a care account, sets up two-step sign-in, invites a carer and gives them
one of two patients. The carer, on a phone, signs in and sees exactly that patient.
"""

from __future__ import annotations

import re
import uuid

import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PHONE, WATCH_CSP, PageProblems, csp_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


async def _new_page(browser: Browser, live_server: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(base_url=live_server, **PHONE)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    problems = PageProblems()
    problems.attach(page)
    page.problems = problems  # type: ignore[attr-defined]
    return context, page


async def _sign_up_admin(page: Page, email: str) -> None:
    await page.goto("/signup")
    await page.get_by_label("Name of the care account").fill("Riverside Family")
    await page.get_by_label("Your name").fill("Ada Admin")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create the care account").click()
    # Admins set up two-step sign-in before anything else opens.
    await expect(page).to_have_url(re.compile(r"/account/mfa$"))
    secret = (await page.locator("code.secret").inner_text()).replace(" ", "")
    await page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Turn on two-step sign-in").click()
    await expect(page.locator("ul.codes li")).to_have_count(10)
    await page.get_by_role("link", name="I have kept them safe").click()


async def _add_patient(page: Page, given: str, family: str) -> str:
    await page.goto("/patients/new")
    await page.get_by_label("Given name").fill(given)
    await page.get_by_label("Family name").fill(family)
    await page.get_by_role("button", name="Add the patient").click()
    await expect(page).to_have_url(re.compile(r"/patients/[0-9a-f-]{36}"))
    return page.url.split("/patients/")[1].split("?")[0]


async def test_admin_builds_a_care_team_and_the_carer_sees_only_their_patient(
    browser: Browser, live_server: str
) -> None:
    run = uuid.uuid4().hex[:8]
    admin_email, carer_email = f"ada-{run}@example.com", f"cara-{run}@example.com"
    admin_context, admin = await _new_page(browser, live_server)
    carer_context, carer = await _new_page(browser, live_server)
    try:
        await _sign_up_admin(admin, admin_email)

        await admin.goto("/staff/invite")
        await admin.get_by_label("Their email address").fill(carer_email)
        await admin.get_by_role("radio", name=re.compile("^Carer")).check()
        await admin.get_by_role("button", name="Create the invitation").click()
        link = await admin.locator("#invite-link").input_value()
        invite_path = "/invites/" + link.split("/invites/")[1]

        shared = await _add_patient(admin, "Winifred", "Ashcombe")
        await _add_patient(admin, "Bartholomew", "Quince")

        # The carer accepts on their phone, then signs out and in again as they would.
        await carer.goto(invite_path)
        await carer.get_by_label("Your name").fill("Cara Carer")
        await carer.get_by_label("Choose a password").fill(PASSWORD)
        await carer.get_by_role("button", name="Create my account and join").click()
        # Joined and signed in: straight on to Today.
        await expect(carer).to_have_url(re.compile(r"/today$"))
        await expect(carer.get_by_role("heading", level=1)).to_have_text("Today")

        await admin.goto(f"/patients/{shared}")
        option = admin.locator("#access-user option", has_text="Cara Carer")
        await admin.get_by_label("Person").select_option(await option.get_attribute("value"))
        await admin.get_by_role("button", name="Give access").click()
        await expect(admin.locator("#access")).to_contain_text("Cara Carer")

        await carer.goto("/account")
        await carer.get_by_role("button", name="Sign out", exact=True).click()
        await expect(carer).to_have_url(re.compile(r"/login$"))
        await carer.get_by_label("Email address").fill(carer_email)
        await carer.get_by_label("Password").fill(PASSWORD)
        await carer.get_by_role("button", name="Sign in").click()

        await carer.goto("/patients")
        await expect(
            carer.get_by_role("link", name=re.compile("Winifred Ashcombe"))
        ).to_be_visible()
        assert "Quince" not in await carer.content()
        assert "Bartholomew" not in await carer.content()

        # A phone-sized page with nothing broken on the way.
        for page in (admin, carer):
            assert page.problems.page_errors == []  # type: ignore[attr-defined]
            assert page.problems.console_errors == []  # type: ignore[attr-defined]
            assert await csp_violations(page) == []
    finally:
        await admin_context.close()
        await carer_context.close()
