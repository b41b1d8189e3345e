"""The bell: its partial, its place on every page, and the one-off answer of its stream."""

from __future__ import annotations

import json
import re

import httpx
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from tests.factories import grant_access, make_patient, make_person, make_tenant, sign_in

PAGE = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def _observer_with_alerts(
    client: httpx.AsyncClient, db: AsyncSession, app: Litestar, unread: int
) -> None:
    """An observer signed in, with `unread` alerts on their patient and one on a patient
    they may not see."""
    tenant = await make_tenant(db)
    observer = await make_person(db, tenant, Role.OBSERVER)
    seen = await make_patient(db, app.state.keyring, tenant, given="Iris")
    hidden = await make_patient(db, app.state.keyring, tenant, given="Hector")
    await grant_access(db, tenant, seen, observer)
    for _ in range(unread):
        await raise_alert(db, tenant_id=tenant.id, patient_id=seen.id, kind=Kind.CONCERN)
    await raise_alert(db, tenant_id=tenant.id, patient_id=hidden.id, kind=Kind.CONCERN)
    await sign_in(client, db, tenant, observer)


def _bell(html: str) -> str:
    found = re.search(r'<a id="bell".*?</a>', html, re.S)
    assert found, html
    return found.group(0)


async def test_the_bell_partial_counts_alerts_of_patients_i_may_see(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    await _observer_with_alerts(client, db_session, app, unread=3)

    response = await client.get("/alerts/bell", headers={"HX-Request": "true"})

    assert response.status_code == 200
    bell = _bell(response.text)
    assert 'data-unread="3"' in bell
    assert 'aria-label="Alerts, 3 unread"' in bell
    assert 'href="/alerts"' in bell
    assert re.search(r'class="count-badge" aria-hidden="true">3<', bell)


async def test_at_zero_the_badge_is_hidden(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    await _observer_with_alerts(client, db_session, app, unread=0)

    bell = _bell((await client.get("/alerts/bell")).text)

    assert 'data-unread="0"' in bell
    assert 'aria-label="Alerts, none unread"' in bell
    assert re.search(r'class="count-badge" aria-hidden="true" hidden>', bell)


async def test_every_page_shows_the_count_in_the_top_and_bottom_bars(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    await _observer_with_alerts(client, db_session, app, unread=2)

    page = (await client.get("/patients", headers=PAGE)).text

    assert 'data-unread="2"' in _bell(page)
    nav = re.search(r'<nav class="bottom-nav".*?</nav>', page, re.S)
    assert nav is not None
    alerts = re.search(r'<a href="/alerts"[^>]*>.*?</a>', nav.group(0), re.S)
    assert alerts is not None
    assert 'aria-label="Alerts, 2 unread"' in alerts.group(0)
    assert 'aria-hidden="true">2<' in alerts.group(0)
    assert 'id="bell-status"' in page and 'aria-live="polite"' in page
    assert "js/bell" in page


async def test_the_bell_is_not_shown_to_visitors(client: httpx.AsyncClient) -> None:
    page = (await client.get("/", headers=PAGE)).text

    assert 'id="bell"' not in page
    assert "js/bell" not in page


async def test_the_stream_answers_a_client_without_event_stream_once(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    await _observer_with_alerts(client, db_session, app, unread=1)

    response = await client.get("/alerts/stream")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    event = dict(
        line.split(": ", 1) for line in response.text.splitlines() if line and ": " in line
    )
    assert event["event"] == "bell"
    data = json.loads(event["data"])
    assert data["count"] == 1
    assert 'data-unread="1"' in data["html"]


async def test_the_bell_and_stream_need_a_signed_in_person(client: httpx.AsyncClient) -> None:
    for path in ("/alerts/bell", "/alerts/stream"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login")
