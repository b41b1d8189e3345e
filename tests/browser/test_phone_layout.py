"""Tend on a 412 px phone, in English and in Arabic (right to left): no page scrolls
sideways, a task's time never overlaps its title, and the patient's tab strip shows that
it scrolls and keeps the current tab in view.

The demo care account is loaded into the live server's database; its carer and its
administrator are signed in with sessions made here (the administrator's two-step sign-in
counts as set up for the test, and is put back as it was afterwards).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db.models import Membership, Patient, Tenant, User
from app.db.tenancy import bind_tenant
from app.domain.demo.seed import ADMIN, CARE_ACCOUNT, PEOPLE, load_demo
from app.domain.keys.keyring import Keyring
from app.lib.keys import master_keys
from app.lib.session_tokens import COOKIE
from tests.browser.conftest import WATCH_CSP
from tests.conftest import SESSION_COOKIE
from tests.factories import sign_in

pytestmark = pytest.mark.browser

PHONE_412 = {
    "viewport": {"width": 412, "height": 915},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
# Screenshots to look at (TEND_SCREENSHOTS names a folder to keep them in).
SHOTS = Path(os.environ.get("TEND_SCREENSHOTS") or tempfile.mkdtemp(prefix="tend-phone-"))


async def _session_token(db: AsyncSession, tenant: Tenant, user: User) -> str:
    jar = httpx.AsyncClient()
    try:
        await sign_in(jar, db, tenant, user)
        token = jar.cookies.get(SESSION_COOKIE)  # the factory signs in over https
    finally:
        await jar.aclose()
    assert token
    return token


class Demo:
    def __init__(self, carer: str, admin: str, peggy: str) -> None:
        self.carer_token = carer
        self.admin_token = admin
        self.peggy = peggy


@pytest.fixture
async def demo(app_engine: AsyncEngine, settings: Settings) -> AsyncIterator[Demo]:
    async with AsyncSession(app_engine, expire_on_commit=False) as db:
        await load_demo(db, Keyring(master_keys(settings)), os.environ["TEND_SECRET_KEY"])
        await db.commit()
        tenant = (await db.scalars(select(Tenant).where(Tenant.name == CARE_ACCOUNT))).one()
        await bind_tenant(db, tenant.id)
        people = {
            u.email: u
            for u in await db.scalars(select(User).join(Membership, Membership.user_id == User.id))
        }
        admin, carer = people[ADMIN[1]], people[PEOPLE[0][1]]
        was = admin.mfa_enabled_at
        await db.execute(
            update(User).where(User.id == admin.id).values(mfa_enabled_at=datetime.now(UTC))
        )
        await db.commit()
        peggy = await db.scalar(
            select(Patient.id).where(Patient.tenant_id == tenant.id).order_by(Patient.id)
        )
        carer_token = await _session_token(db, tenant, carer)
        admin_token = await _session_token(db, tenant, admin)
        try:
            yield Demo(carer_token, admin_token, str(peggy))
        finally:
            await bind_tenant(db, tenant.id)
            await db.execute(update(User).where(User.id == admin.id).values(mfa_enabled_at=was))
            await db.commit()


async def _phone(browser: Browser, live_server: str, token: str, locale: str) -> BrowserContext:
    context = await browser.new_context(base_url=live_server, **PHONE_412)
    await context.add_init_script(WATCH_CSP)
    host = live_server.split("//", 1)[1].split(":", 1)[0]
    await context.add_cookies(
        [
            {"name": COOKIE, "value": token, "domain": host, "path": "/", "secure": True},
            {"name": "tend_locale", "value": locale, "domain": host, "path": "/"},
        ]
    )
    return context


async def _open(page: Page, path: str, name: str) -> None:
    response = await page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def _no_sideways_scroll(page: Page, path: str) -> None:
    # Against the phone's width, not window.innerWidth: a phone browser widens its layout
    # viewport to fit content that overflows, which would hide the very fault.
    width = PHONE_412["viewport"]["width"]
    scroll = await page.evaluate("document.scrollingElement.scrollWidth")
    if scroll > width:
        wide = await page.evaluate(
            """(w) => [...document.querySelectorAll('main *')]
                 .filter((e) => e.getBoundingClientRect().right > w + 0.5)
                 .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`)""",
            width,
        )
        pytest.fail(f"{path} scrolls sideways: {scroll} > {width}, past the edge: {wide}")


async def _times_clear_of_titles(page: Page, path: str) -> int:
    """Each task row's time and title, as drawn (the text's own extent, which may spill
    out of its box), do not overlap; how many rows there were."""
    boxes = await page.evaluate(
        """() => [...document.querySelectorAll('.task-row')].map((row) => {
             const drawn = (el) => {
               const range = document.createRange();
               range.selectNodeContents(el);
               const r = range.getBoundingClientRect();
               return [r.left, r.right, r.top, r.bottom];
             };
             return [...drawn(row.querySelector('.task-row__time')),
                     ...drawn(row.querySelector('.task-row__title'))];
           })"""
    )
    for tl, tr, tt, tb, hl, hr, ht, hb in boxes:
        overlap_x = min(tr, hr) - max(tl, hl)
        overlap_y = min(tb, hb) - max(tt, ht)
        assert overlap_x <= 0 or overlap_y <= 0, f"{path}: a task's time overlaps its title"
    return len(boxes)


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_a_carer_s_pages_fit_a_412_px_phone(
    browser: Browser, live_server: str, demo: Demo, locale: str
) -> None:
    context = await _phone(browser, live_server, demo.carer_token, locale)
    page = await context.new_page()
    record = f"/patients/{demo.peggy}"
    rows = 0
    for path, name in [
        ("/today", "today"),
        (f"{record}/today", "patient-today"),
        (f"{record}/tasks/today", "tasks-today"),
        (f"{record}/notes", "notes"),
        (f"{record}/medicines", "medicines"),
        (f"{record}/vitals", "vitals"),
        (f"{record}/alerts", "patient-alerts"),
        (record, "details"),
    ]:
        await _open(page, path, f"{locale}-carer-{name}")
        await _no_sideways_scroll(page, path)
        rows += await _times_clear_of_titles(page, path)
    assert rows, "no task rows were checked"
    await context.close()


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_the_admin_alerts_pages_fit_a_412_px_phone(
    browser: Browser, live_server: str, demo: Demo, locale: str
) -> None:
    context = await _phone(browser, live_server, demo.admin_token, locale)
    page = await context.new_page()
    for path, name in [("/alerts", "alerts"), ("/alerts/figures", "figures")]:
        await _open(page, path, f"{locale}-admin-{name}")
        await _no_sideways_scroll(page, path)
    await context.close()


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("tab", ["/today", "/vitals", "/alerts", ""])
async def test_the_tab_strip_shows_it_scrolls_and_the_current_tab_is_in_view(
    browser: Browser, live_server: str, demo: Demo, locale: str, tab: str
) -> None:
    context = await _phone(browser, live_server, demo.carer_token, locale)
    page = await context.new_page()
    path = f"/patients/{demo.peggy}{tab}"
    await _open(page, path, f"{locale}-tabs{tab.replace('/', '-') or '-details'}")
    strip = await page.evaluate(
        """() => {
             const nav = document.querySelector('.record-tabs');
             const box = nav.getBoundingClientRect();
             const current = nav.querySelector('[aria-current="page"]').getBoundingClientRect();
             return {
               overflows: nav.scrollWidth > nav.clientWidth + 1,
               hint: nav.classList.contains('record-tabs--more-start')
                     || nav.classList.contains('record-tabs--more-end'),
               left: box.left, right: box.right,
               currentLeft: current.left, currentRight: current.right,
             };
           }"""
    )
    # The current tab is wholly inside the strip, however far along the strip it is.
    assert strip["currentLeft"] >= strip["left"] - 1, strip
    assert strip["currentRight"] <= strip["right"] + 1, strip
    if strip["overflows"]:
        assert strip["hint"], "the strip is cut off with no sign that it scrolls"
    await context.close()
