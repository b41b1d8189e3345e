"""Recording vitals: the score and scale stored, refusals and confirmations, the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.vitals import VitalsObservation
from app.db.tenancy import bind_tenant
from tests.factories import sign_in
from tests.integration.vitals.conftest import NORMAL, Ward, audit_count, post


async def _sets(db: AsyncSession, ward: Ward) -> list[VitalsObservation]:
    await bind_tenant(db, ward.tenant.id)
    rows = await db.scalars(
        select(VitalsObservation)
        .where(VitalsObservation.patient_id == ward.patient.id)
        .order_by(VitalsObservation.recorded_at, VitalsObservation.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def test_recording_a_normal_set_stores_its_score_and_scale(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, ward.url + "/new", NORMAL)
    assert response.status_code == 303
    assert response.headers["location"] == ward.url + "?done=recorded"
    (row,) = await _sets(db_session, ward)
    assert (row.news2, row.news2_risk, row.spo2_scale) == (0, "low", 1)
    assert row.temperature == Decimal("36.8")
    assert row.recorded_by == ward.carer.id
    assert await audit_count(db_session, ward.tenant, "vitals.record", object_id=str(row.id)) == 1
    page = await client.get(ward.url)
    assert page.status_code == 200
    assert "NEWS2 0" in page.text
    assert "Low risk" in page.text


async def test_a_set_scoring_exactly_5_shows_medium(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    # RR 21 (2) + pulse 111 (2) + temperature 38.1 (1) = 5
    fields = {**NORMAL, "respiration_rate": "21", "pulse": "111", "temperature": "38.1"}
    assert (await post(client, ward.url + "/new", fields)).status_code == 303
    (row,) = await _sets(db_session, ward)
    assert (row.news2, row.news2_risk) == (5, "medium")
    page = (await client.get(ward.url)).text
    assert "NEWS2 5" in page
    assert "Medium risk" in page
    assert "news2--medium" in page
    assert "urgent response" in page


async def test_an_incomplete_set_is_stored_without_a_score(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, ward.url + "/new", {"pulse": "72", "weight": "63,4"})
    assert response.status_code == 303
    (row,) = await _sets(db_session, ward)
    assert row.news2 is None and row.news2_risk is None
    assert row.weight == Decimal("63.4")
    page = (await client.get(ward.url)).text
    assert "Incomplete — NEWS2 needs" in page
    assert "Temperature" in page


async def test_scale_2_is_used_for_the_score_and_stored_with_it(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    refused = await post(client, ward.url + "/scale", {"spo2_scale": "2"})
    assert refused.status_code == 422
    assert "tick the box" in refused.text
    changed = await post(
        client, ward.url + "/scale", {"spo2_scale": "2", "clinician_said": "yes", "note": "Dr Ng"}
    )
    assert changed.status_code == 303
    assert await audit_count(db_session, ward.tenant, "vitals.scale") == 1
    # 97% on oxygen: scale 2 scores 3 for the saturation and 2 for the oxygen.
    fields = {**NORMAL, "spo2": "97", "oxygen": "oxygen"}
    assert (await post(client, ward.url + "/new", fields)).status_code == 303
    (row,) = await _sets(db_session, ward)
    assert (row.spo2_scale, row.news2, row.news2_risk) == (2, 5, "medium")
    assert "Scale 2" in (await client.get(ward.url)).text


async def test_impossible_values_are_refused_beside_the_field_keeping_what_was_typed(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    fields = {
        **NORMAL,
        "spo2": "101",
        "pulse": "260",
        "respiration_rate": "2",
        "systolic": "120",
        "diastolic": "120",
        "temperature": "35.05",
        "weight": "0",
        "glucose": "0.4",
    }
    response = await post(client, ward.url + "/new", fields)
    assert response.status_code == 422
    html = response.text
    for name in ("spo2", "pulse", "respiration_rate", "diastolic", "temperature", "weight",
                 "glucose"):  # fmt: skip
        assert f'id="error-{name}"' in html, name
    assert "Enter a whole number from 50 to 100 %" in html
    assert "with at most one decimal place" in html
    assert "lower than the systolic" in html
    assert 'value="101"' in html and 'value="35.05"' in html and 'value="260"' in html
    assert await _sets(db_session, ward) == []


async def test_future_time_and_missing_oxygen_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    later = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    fields = {**NORMAL, "oxygen": "", "taken_at": later}
    response = await post(client, ward.url + "/new", fields)
    assert response.status_code == 422
    assert 'id="error-taken_at"' in response.text
    assert 'id="error-oxygen"' in response.text
    empty = await post(client, ward.url + "/new", {})
    assert empty.status_code == 422
    assert "Enter at least one measurement." in empty.text


async def test_unusual_values_need_confirming_then_save(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    fields = {**NORMAL, "pulse": "160", "spo2": "82"}
    first = await post(client, ward.url + "/new", fields)
    assert first.status_code == 422
    assert "Please confirm this value" in first.text
    assert 'name="confirm_pulse" value="160"' in first.text
    assert 'name="confirm_spo2" value="82"' in first.text
    assert 'value="160"' in first.text
    assert await _sets(db_session, ward) == []
    # Confirming one value is not confirming the other.
    half = await post(client, ward.url + "/new", {**fields, "confirm_pulse": "160"})
    assert half.status_code == 422
    assert 'name="confirm_spo2"' in half.text
    assert 'name="confirm_pulse" value="160"' in half.text  # kept, as a hidden field
    # A confirmation holds for the value confirmed only.
    changed = await post(
        client, ward.url + "/new", {**fields, "pulse": "170", "confirm_pulse": "160",
                                    "confirm_spo2": "82"}
    )  # fmt: skip
    assert changed.status_code == 422
    assert 'name="confirm_pulse" value="170"' in changed.text
    saved = await post(
        client, ward.url + "/new", {**fields, "confirm_pulse": "160", "confirm_spo2": "82"}
    )
    assert saved.status_code == 303
    (row,) = await _sets(db_session, ward)
    assert (row.pulse, row.spo2, row.news2) == (160, 82, 6)


async def test_history_pages_newest_first_with_a_link_to_older(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    start = datetime.now(UTC) - timedelta(days=2)
    for minutes in range(23):
        taken = (start + timedelta(minutes=minutes * 60)).strftime("%Y-%m-%dT%H:%M")
        fields = {"pulse": str(60 + minutes), "taken_at": taken}
        assert (await post(client, ward.url + "/new", fields)).status_code == 303
    first = await client.get(ward.url + "/history")
    assert first.status_code == 200
    assert first.text.count('class="list__row vitals-row"') == 20
    assert "Pulse: 82" in first.text  # newest
    more = re.search(r'href="(/patients/[^"]+/history\?after=[^"]+)"', first.text)
    assert more is not None
    second = await client.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert second.status_code == 200
    assert second.text.count('class="list__row vitals-row"') == 3
    assert "Pulse: 60" in second.text
    assert "<html" not in second.text
    assert await audit_count(db_session, ward.tenant, "vitals.list") == 2


async def test_the_chart_renders_an_svg_and_a_table(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    for hours, pulse in ((30, "80"), (5, "111")):
        taken = (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")
        fields = {**NORMAL, "pulse": pulse, "taken_at": taken}
        assert (await post(client, ward.url + "/new", fields)).status_code == 303
    response = await client.get(ward.url + "/chart")
    assert response.status_code == 200
    html = response.text
    assert '<svg viewBox="0 0 360' in html
    assert 'role="img"' in html and "<title id=" in html and "<desc id=" in html
    assert "<polyline" in html
    assert "<table" in html and "<caption" in html
    assert html.count("<tr>") == 3  # the heading and two sets
    assert "style=" not in html  # the CSP forbids inline styles
    assert await audit_count(db_session, ward.tenant, "vitals.list") == 1
    empty = await client.get(ward.url + "/chart?days=90", headers={"HX-Request": "true"})
    assert empty.status_code == 200 and 'id="vitals-chart"' in empty.text


async def test_an_empty_record_says_what_to_do(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    page = await client.get(ward.url)
    assert "No vitals yet — record the first set" in page.text
    assert f'href="{ward.url}/new"' in page.text
    assert await audit_count(db_session, ward.tenant, "vitals.list") == 1
