"""Who may record and read vitals, corrections that keep the original, and the audit trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.vitals import VitalsObservation
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from tests.conftest import csrf_headers
from tests.factories import make_patient, sign_in
from tests.integration.vitals.conftest import NORMAL, Ward, audit_count, post


async def _record(client: httpx.AsyncClient, ward: Ward, **changes: str) -> str:
    response = await post(client, ward.url + "/new", {**NORMAL, **changes})
    assert response.status_code == 303, response.text
    page = await client.get(ward.url)
    found = re.search(r"/vitals/sets/([0-9a-f-]{36})", page.text)
    assert found is not None
    return found.group(1)


async def _all_sets(db: AsyncSession, ward: Ward) -> list[VitalsObservation]:
    await bind_tenant(db, ward.tenant.id)
    rows = await db.scalars(
        select(VitalsObservation)
        .where(VitalsObservation.patient_id == ward.patient.id)
        .order_by(VitalsObservation.recorded_at, VitalsObservation.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


WRITES = [
    ("POST", "/new"),
    ("POST", "/scale"),
    ("POST", "/sets/{set}/correct"),
    ("GET", "/new"),
    ("GET", "/scale"),
    ("GET", "/sets/{set}/correct"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_observer_is_refused_every_write(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, method: str, path: str
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    set_id = await _record(client, ward)
    client.cookies.clear()
    await sign_in(client, db_session, ward.tenant, ward.observer)
    url = ward.url + path.format(set=set_id)
    headers = await csrf_headers(client)
    response = await client.request(method, url, data={**NORMAL, "reason": "x"}, headers=headers)
    assert response.status_code == 403
    assert len(await _all_sets(db_session, ward)) == 1


async def test_observer_reads_vitals_without_write_controls(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    set_id = await _record(client, ward)
    client.cookies.clear()
    await sign_in(client, db_session, ward.tenant, ward.observer)
    for path in ("", "/history", "/chart", f"/sets/{set_id}", "/today"):
        response = await client.get(ward.url + path)
        assert response.status_code == 200, path
        html = response.text
        assert "NEWS2 0" in html, path
        assert "/vitals/new" not in html, path
        assert "/correct" not in html, path
        assert "/vitals/scale" not in html, path
        main = html.split('id="main"')[1].split("</main>")[0]
        assert "<form" not in main, path


async def test_carer_without_a_grant_gets_404_everywhere(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    set_id = await _record(client, ward)
    client.cookies.clear()
    await sign_in(client, db_session, ward.tenant, ward.stranger)
    for path in ("", "/history", "/chart", f"/sets/{set_id}", "/today", "/new", "/scale"):
        response = await client.get(ward.url + path)
        assert response.status_code == 404, path
        assert "Edith" not in response.text
    for path in ("/new", "/scale", f"/sets/{set_id}/correct"):
        response = await post(client, ward.url + path, {**NORMAL, "reason": "x"})
        assert response.status_code == 404, path
    assert len(await _all_sets(db_session, ward)) == 1


async def test_a_set_of_another_patient_is_not_reached_through_this_one(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, keyring: Keyring
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.admin)
    set_id = await _record(client, ward)
    other = await make_patient(db_session, keyring, ward.tenant, given="Otto", family="Other")
    await db_session.commit()
    response = await client.get(f"/patients/{other.id}/vitals/sets/{set_id}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{other.id}/vitals?done=missing"


async def test_archived_patient_takes_no_new_vitals(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    ward.patient.archived_at = datetime.now(UTC)
    await db_session.commit()
    await sign_in(client, db_session, ward.tenant, ward.admin)
    page = await client.get(ward.url)
    assert page.status_code == 200
    assert "/vitals/new" not in page.text
    assert (await post(client, ward.url + "/new", NORMAL)).status_code == 403


async def test_a_correction_keeps_the_original_and_is_audited(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    set_id = await _record(client, ward, pulse="72")
    form = await client.get(f"{ward.url}/sets/{set_id}/correct")
    assert form.status_code == 200
    assert 'value="72"' in form.text
    no_reason = await post(client, f"{ward.url}/sets/{set_id}/correct", {**NORMAL, "pulse": "112"})
    assert no_reason.status_code == 422
    assert 'id="error-reason"' in no_reason.text
    client.cookies.clear()
    await sign_in(client, db_session, ward.tenant, ward.admin)
    fields = {**NORMAL, "pulse": "112", "reason": "Typed 72 for 112"}
    saved = await post(client, f"{ward.url}/sets/{set_id}/correct", fields)
    assert saved.status_code == 303
    original, corrected = await _all_sets(db_session, ward)
    assert str(original.id) == set_id
    assert original.pulse == 72 and original.superseded_at is not None
    assert original.recorded_by == ward.carer.id
    assert corrected.replaces_id == original.id
    assert (corrected.pulse, corrected.news2, corrected.recorded_by) == (112, 2, ward.admin.id)
    assert corrected.correction_reason == "Typed 72 for 112"
    assert await audit_count(db_session, ward.tenant, "vitals.correct") == 1
    # The corrected set shows the earlier version, who recorded it and why it changed.
    page = await client.get(f"{ward.url}/sets/{corrected.id}")
    assert "Earlier versions" in page.text
    assert "Cara Carer" in page.text and "Alma Admin" in page.text
    assert "Typed 72 for 112" in page.text
    # The superseded set can no longer be corrected; the list shows only the current one.
    again = await post(client, f"{ward.url}/sets/{set_id}/correct", fields)
    assert again.status_code == 303 and again.headers["location"].endswith("done=missing")
    history = await client.get(ward.url + "/history")
    assert history.text.count('class="list__row vitals-row"') == 1
    assert "Corrected" in history.text


async def test_writes_and_reads_are_audited_with_the_patient(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    set_id = await _record(client, ward)
    for path in ("/history", "/chart", f"/sets/{set_id}", "/today"):
        assert (await client.get(ward.url + path)).status_code == 200
    patient = ward.patient.id
    assert await audit_count(db_session, ward.tenant, "vitals.record", patient_id=patient) == 1
    # the page after saving, then the four above
    assert await audit_count(db_session, ward.tenant, "vitals.list", patient_id=patient) == 5
