"""A carer's visit on a phone, in place, and what the family then sees, read-only.

The demo care account is loaded into the live server's database. The carer adds, through
the UI, a medicine and a care-plan task both due at this very minute, so that a dose and a
task are due whatever the time of day. Then, on the patient's Today page and without a
single full page load, the carer records the dose as given, writes a note with a photo,
records vitals scoring NEWS2 5 and ticks the task. The observer (family) signs in on their
own phone, finds all four, and finds nothing that would change them.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Locator, Page, Response, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.domain.demo.seed import PATIENTS, PEOPLE, TIME_ZONE, load_demo
from app.domain.keys.keyring import Keyring
from app.lib.keys import master_keys
from tests.browser.conftest import PHONE, WATCH_CSP, PageProblems, csp_violations

pytestmark = pytest.mark.browser

ZONE = ZoneInfo(TIME_ZONE)
CARER_EMAIL = PEOPLE[0][1]
OBSERVER_EMAIL = PEOPLE[2][1]
PEGGY = PATIENTS[0].display_name  # "Peggy Ellis"
# Outside the demo's own range (60.0–80.0 kg): marks the set this test records.
WEIGHT = "58.7"
# Links and buttons that change the record, as the carer sees them on these pages.
WRITE_NAMES = re.compile(
    r"^\s*(✓\s*)?(Given|Not given…|Record with witness|Give a dose|Record|Correct|Write a note|"
    r"Save note|Edit|Record vitals|Save vitals|Change the scale|Done|Skip…|Undo|"
    r"Add a medicine|Add a task|Change|Stop|Stop this medicine|Stop this task)\s*$"
)
WRITE_HREF = re.compile(r"/(new|edit|stop|dose|correct|done|undo|effect|scale)(\?|/|$)")


async def _new_page(browser: Browser, live_server: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(base_url=live_server, **PHONE)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    problems = PageProblems()
    problems.attach(page)
    page.problems = problems  # type: ignore[attr-defined]
    failed: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.request.method} {response.url}")

    page.on("response", on_response)
    page.failed = failed  # type: ignore[attr-defined]
    return context, page


@pytest.fixture
async def demo(app_engine: AsyncEngine, settings: Settings) -> AsyncIterator[str]:
    """The demo care account in the live server's database (loaded once); its password."""
    async with AsyncSession(app_engine, expire_on_commit=False) as session:
        keyring = Keyring(master_keys(settings))
        logins = await load_demo(session, keyring, os.environ["TEND_SECRET_KEY"])
        # Other tests' failed sign-ins from 127.0.0.1 must not hold these ones back.
        await session.execute(text("DELETE FROM login_throttle"))
        await session.commit()
    yield logins.password


def _photo(path: Path) -> Path:
    image = Image.new("RGB", (320, 240), (40, 120, 90))
    for x in range(100, 220):
        for y in range(80, 160):
            image.putpixel((x, y), (230, 200, 60))
    image.save(path, "JPEG", quality=85)
    return path


async def _sign_in(page: Page, email: str, password: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).not_to_have_url(re.compile(r"/login"))


async def _next_minute() -> datetime:
    """The next whole minute on the care account's clock, far enough from midnight that
    what is due at it stays on today's page for the rest of the test."""
    now = datetime.now(ZONE)
    if now.hour == 23 and now.minute >= 55:
        tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
        await asyncio.sleep((tomorrow - now).total_seconds())
        now = datetime.now(ZONE)
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def _wait_until(moment: datetime) -> None:
    delay = (moment - datetime.now(ZONE)).total_seconds() + 1
    if delay > 0:
        await asyncio.sleep(delay)


async def _add_task(page: Page, patient_id: str, title: str, at: datetime) -> None:
    # A task owes nothing from before it was added, so it is set for the next minute.
    await page.goto(f"/patients/{patient_id}/tasks/new")
    await page.get_by_label("What needs doing").fill(title)
    await page.get_by_label("Time 1").fill(at.strftime("%H:%M"))
    await page.get_by_role("button", name="Add the task").click()
    await expect(page).not_to_have_url(re.compile(r"/tasks/new"))
    await expect(page.locator("#main")).to_contain_text(title)


async def _add_medicine(page: Page, patient_id: str, name: str, at: datetime) -> None:
    await page.goto(f"/patients/{patient_id}/medicines/new")
    form = page.locator("#medicine-form")
    await form.get_by_label("Medicine", exact=True).fill(name)
    await form.get_by_label("Strength").fill("500 mg")
    await form.get_by_label("Form", exact=True).select_option(index=1)
    await form.get_by_label("Dose", exact=True).fill("1 tablet")
    await form.get_by_label("How it is given").select_option(index=1)
    await form.get_by_label("At set times").check()
    await form.get_by_label("Time 1").fill(at.strftime("%H:%M"))
    await form.get_by_role("button", name="Save medicine").click()
    await expect(page).not_to_have_url(re.compile(r"/medicines/new"))
    await expect(page.locator("#main")).to_contain_text(name)


async def _no_write_controls(page: Page) -> None:
    """Nothing in the page's content that would change the record."""
    main = page.locator("#main")
    where = page.url
    assert await main.locator("form[method=post], form[method=POST]").count() == 0, where
    assert await main.locator("[hx-post], [hx-put], [hx-patch], [hx-delete]").count() == 0, where
    for control in await main.locator("a, button, summary, input[type=submit]").all():
        name = (await control.inner_text()).strip() or (await control.get_attribute("value") or "")
        href = await control.get_attribute("href") or await control.get_attribute("hx-get") or ""
        assert not WRITE_NAMES.match(name), f"{where}: a write control {name!r}"
        assert not WRITE_HREF.search(href), f"{where}: a link to a write page {href!r}"


async def _no_problems(page: Page) -> None:
    assert page.problems.page_errors == []  # type: ignore[attr-defined]
    assert page.problems.console_errors == []  # type: ignore[attr-defined]
    assert await csp_violations(page) == []
    assert page.failed == []  # type: ignore[attr-defined]


def _row_of(page: Page, selector: str, text: str) -> Locator:
    return page.locator(selector).filter(has_text=text)


async def test_carer_records_a_visit_in_place_and_the_family_sees_it_read_only(
    browser: Browser, live_server: str, demo: str, tmp_path: Path
) -> None:
    password = demo
    run = uuid.uuid4().hex[:6]
    medicine, task = f"Paracetamol {run}", f"Help to stand {run}"
    note = f"Peggy ate all her lunch and sat in the garden ({run})."
    photo = _photo(tmp_path / "garden.jpg")

    carer_context, carer = await _new_page(browser, live_server)
    family_context, family = await _new_page(browser, live_server)
    try:
        # The carer signs in and chooses Peggy from their day.
        await _sign_in(carer, CARER_EMAIL, password)
        await carer.goto("/today")
        await carer.get_by_role("link", name=re.compile(PEGGY)).click()
        await expect(carer).to_have_url(re.compile(r"/patients/[0-9a-f-]{36}/today$"))
        peggy = carer.url.split("/patients/")[1].split("/")[0]

        # Setup that navigates: a task and a medicine due at the next minute.
        due_at = await _next_minute()
        await _add_task(carer, peggy, task, due_at)
        await _add_medicine(carer, peggy, medicine, due_at)
        await _wait_until(due_at)

        await carer.goto(f"/patients/{peggy}/today")
        await carer.evaluate("window.__stillHere = true")
        toasts = carer.locator("#toasts")

        # The dose, given in place.
        dose = _row_of(carer, "#today-medicines li.dose", medicine)
        await expect(dose).to_have_count(1)
        await dose.get_by_role("button", name="Given").click()
        done = carer.locator("#today-medicines .dose--given").filter(has_text=medicine)
        await expect(done).to_contain_text("Given")
        await expect(toasts).to_contain_text("Dose recorded")

        # A note with a photo, written in the notes card.
        await carer.locator("#today-notes").get_by_role("link", name="Write a note").click()
        form = carer.locator("#note-form")
        await form.get_by_label("Note", exact=True).fill(note)
        await form.get_by_label("Photo (optional)").set_input_files(photo)
        await form.get_by_role("button", name="Save note").click()
        saved = carer.locator("#today-note-list .note").filter(has_text=note)
        await expect(saved).to_have_count(1)
        await expect(saved.get_by_role("link", name=re.compile("Photo"))).to_be_visible()
        await expect(carer.locator("#note-form")).to_have_count(0)
        await expect(toasts).to_contain_text("Note saved")

        # Vitals scoring NEWS2 5: respiration 22 (2), SpO₂ 95 on scale 1 (1), air (0),
        # systolic 105 (1), pulse 95 (1), alert (0), 37.0 °C (0).
        card = carer.locator("#vitals-today")
        await card.get_by_role("link", name="Record vitals").click()
        vitals = carer.locator("#vitals-form")
        await vitals.locator("#field-respiration_rate").fill("22")
        await vitals.locator("#field-spo2").fill("95")
        await vitals.get_by_label("Breathing air").check()
        await vitals.locator("#field-systolic").fill("105")
        await vitals.locator("#field-diastolic").fill("68")
        await vitals.locator("#field-pulse").fill("95")
        await vitals.locator("input[name=consciousness][value=A]").check()
        await vitals.locator("#field-temperature").fill("37.0")
        await vitals.locator("#field-weight").fill(WEIGHT)
        await vitals.get_by_role("button", name="Save vitals").click()
        await expect(carer.locator("#vitals-form")).to_have_count(0)
        await expect(toasts).to_contain_text("Vitals recorded")
        badge = carer.locator("#vitals-today .news2")
        await expect(badge).to_contain_text("NEWS2 5")
        await expect(badge).to_contain_text("Medium risk")

        # The task, ticked in place.
        row = _row_of(carer, "#today-tasks li.task-row", task)
        await expect(row).to_have_count(1)
        await row.get_by_role("button", name=re.compile("done$")).click()
        ticked = _row_of(carer, "#today-tasks li.task-row--done", task)
        await expect(ticked).to_contain_text("Done by Sam Carter")
        await expect(toasts).to_contain_text("Task done")

        # All on one page load.
        assert await carer.evaluate("window.__stillHere") is True
        await expect(carer.locator("#vitals-today .news2")).to_contain_text("NEWS2 5")
        await expect(carer.locator("#vitals-today .news2")).to_contain_text("Medium risk")
        await _no_problems(carer)
        with pytest.raises(AssertionError):
            await _no_write_controls(carer)  # the check finds what the carer may do

        # The family member, on their own phone, lands on Peggy's day.
        await _sign_in(family, OBSERVER_EMAIL, password)
        await family.goto("/today")
        await expect(family).to_have_url(re.compile(rf"/patients/{peggy}/today$"))
        await expect(family.locator(".topbar__patient")).to_contain_text(PEGGY)
        seen = family.locator("#today-note-list .note").filter(has_text=note)
        await expect(seen).to_have_count(1)
        await expect(family.locator("#vitals-today .news2")).to_contain_text("NEWS2 5")
        await expect(family.locator("#vitals-today .news2")).to_contain_text("Medium risk")
        still_due = family.locator("#today-medicines li.dose").filter(has_text=medicine)
        await expect(still_due).to_have_count(0)
        await _no_write_controls(family)

        # The photo opens, as an image, from the note's own page.
        await seen.get_by_role("link", name="Open").click()
        image = family.locator("#main img.note__photo")
        await expect(image).to_be_visible()
        assert await image.evaluate("img => img.complete && img.naturalWidth > 0")
        photo_url = await image.get_attribute("src")
        response = await family.request.get(photo_url)  # type: ignore[arg-type]
        assert response.ok
        assert response.headers["content-type"].startswith("image/")
        await expect(family.locator("#main")).to_contain_text(note)
        await _no_write_controls(family)

        # The dose on the medicine chart: given, by the carer.
        await family.goto(f"/patients/{peggy}/medicines/chart")
        chart_row = family.locator("#mar-chart tbody tr").filter(has_text=medicine)
        await expect(chart_row).to_contain_text("Given")
        await expect(chart_row).to_contain_text("by Sam Carter")
        await _no_write_controls(family)

        await family.goto(f"/patients/{peggy}/medicines")
        await expect(family.locator("#main")).to_contain_text(medicine)
        await _no_write_controls(family)

        # The notes, with the photo's link.
        await family.goto(f"/patients/{peggy}/notes")
        listed = family.locator("#main .note").filter(has_text=note)
        await expect(listed).to_have_count(1)
        await expect(listed.get_by_role("link", name=re.compile("Photo"))).to_be_visible()
        await _no_write_controls(family)

        # The vitals: this set (its weight marks it) is the latest, NEWS2 5.
        await family.goto(f"/patients/{peggy}/vitals")
        latest = family.locator("#vitals-latest")
        await expect(latest).to_contain_text("NEWS2 5")
        await expect(latest).to_contain_text("Medium risk")
        await expect(latest).to_contain_text(WEIGHT)
        await _no_write_controls(family)

        # The task, done by the carer.
        await family.goto(f"/patients/{peggy}/tasks/today")
        done_task = family.locator("#main li.task-row").filter(has_text=task)
        await expect(done_task).to_contain_text("Done by Sam Carter")
        await _no_write_controls(family)

        await family.goto(f"/patients/{peggy}/tasks")
        await expect(family.locator("#main")).to_contain_text(task)
        await _no_write_controls(family)

        await _no_problems(family)
    finally:
        await carer_context.close()
        await family_context.close()
