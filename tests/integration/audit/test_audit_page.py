"""The audit page: admins read their care account's events, filtered and paged by key."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
from babel.dates import format_datetime
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Role, Tenant, TenantSettings, User
from app.domain.audit.services import append, flush_audit
from tests.conftest import LOCALE_COOKIE
from tests.factories import make_person, make_tenant, sign_in

ROW = re.compile(r'id="event-(\d+)"')


def shown(html: str) -> list[int]:
    return [int(seq) for seq in ROW.findall(html)]


async def admin_in(db: AsyncSession, client: httpx.AsyncClient) -> tuple[Tenant, User]:
    tenant = await make_tenant(db)
    admin = await make_person(db, tenant, Role.ADMIN, name="Ada Admin")
    await sign_in(client, db, tenant, admin)
    return tenant, admin


async def event(
    db: AsyncSession, tenant: Tenant, actor: User | None, action: str = "patient.view", **kw
) -> int:
    await append(db, tenant.id, actor.id if actor else None, action, "patient", **kw)
    await flush_audit(db)
    return int(
        await db.scalar(
            select(AuditEvent.seq)
            .where(AuditEvent.tenant_id == tenant.id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    )


async def test_admin_sees_events_newest_first_with_names_and_labels(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin = await admin_in(db_session, client)
    carer = await make_person(db_session, tenant, Role.CARER, name="Cara Carer")
    first = await event(
        db_session, tenant, carer, "patient.view", route="/patients/x", ip="10.0.0.7"
    )
    second = await event(db_session, tenant, admin, "patient.create")
    response = await client.get("/audit")
    assert response.status_code == 200
    assert shown(response.text) == [second, first]
    assert "Cara Carer" in response.text and "Ada Admin" in response.text
    assert "Viewed a patient" in response.text and "Added a patient" in response.text
    assert "/patients/x" in response.text and "10.0.0.7" in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_unknown_actions_and_operator_events_are_shown_as_recorded(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _ = await admin_in(db_session, client)
    await event(db_session, tenant, None, "medication.teleport")
    response = await client.get("/audit")
    assert "medication.teleport" in response.text
    assert "Tend (server operator)" in response.text


async def test_a_patient_event_links_to_the_patient_and_never_names_them(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin = await admin_in(db_session, client)
    patient_id = uuid.uuid4()
    await event(db_session, tenant, admin, patient_id=patient_id)
    response = await client.get("/audit")
    assert f'href="/patients/{patient_id}"' in response.text


async def test_carers_and_observers_may_not_read_or_export_the_log(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    for role in (Role.CARER, Role.OBSERVER):
        person = await make_person(db_session, tenant, role)
        await sign_in(client, db_session, tenant, person)
        assert (await client.get("/audit")).status_code == 403
        assert (await client.get("/audit/export.csv")).status_code == 403


async def test_another_care_accounts_events_never_show(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    other = await make_tenant(db_session)
    stranger = await make_person(db_session, other, Role.CARER, name="Stan Stranger")
    await event(db_session, other, stranger, "patient.view")
    await admin_in(db_session, client)
    response = await client.get("/audit")
    assert "Stan Stranger" not in response.text
    assert response.status_code == 200


async def test_pages_hold_fifty_events_and_link_to_older_ones(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin = await admin_in(db_session, client)
    for _ in range(120):
        newest = await event(db_session, tenant, admin, "patient.search")
    first = await client.get("/audit?action=patient.search")
    assert shown(first.text) == list(range(newest, newest - 50, -1))
    older = re.search(r'href="(/audit\?[^"]*before=\d+[^"]*)"', first.text)
    assert older is not None
    second = await client.get(older.group(1).replace("&amp;", "&"))
    assert shown(second.text) == list(range(newest - 50, newest - 100, -1))
    third_link = re.search(r'href="(/audit\?[^"]*before=\d+[^"]*)"', second.text)
    assert third_link is not None
    third = await client.get(third_link.group(1).replace("&amp;", "&"))
    assert shown(third.text) == list(range(newest - 100, newest - 120, -1))
    assert "Older events" not in third.text
    assert "Newest events" in third.text


async def test_filters_by_person_action_and_patient(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin = await admin_in(db_session, client)
    carer = await make_person(db_session, tenant, Role.CARER)
    patient_id = uuid.uuid4()
    by_carer = await event(db_session, tenant, carer, "patient.view")
    about_patient = await event(db_session, tenant, admin, "patient.update", patient_id=patient_id)
    created = await event(db_session, tenant, admin, "patient.create")

    by_person = await client.get(f"/audit?person={carer.id}")
    assert shown(by_person.text) == [by_carer]
    by_action = await client.get("/audit?action=patient.create")
    assert shown(by_action.text) == [created]
    by_patient = await client.get(f"/audit?patient={patient_id}")
    assert shown(by_patient.text) == [about_patient]
    assert "Showing the events of one patient." in by_patient.text
    nothing = await client.get(f"/audit?person={carer.id}&action=patient.create")
    assert shown(nothing.text) == []
    assert "No events match these filters." in nothing.text


async def test_dates_are_whole_days_in_the_care_accounts_time_zone(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin = await admin_in(db_session, client)
    zone = "Pacific/Auckland"
    await db_session.execute(
        update(TenantSettings).where(TenantSettings.tenant_id == tenant.id).values(time_zone=zone)
    )
    seq = await event(db_session, tenant, admin, "patient.view")
    occurred = await db_session.scalar(
        select(AuditEvent.occurred_at).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.seq == seq
        )
    )
    local_day = occurred.astimezone(ZoneInfo(zone)).date()
    day, before, after = local_day, local_day - timedelta(days=1), local_day + timedelta(days=1)

    def query(start: object, end: object) -> str:
        return f"/audit?action=patient.view&from={start}&to={end}"

    assert shown((await client.get(query(day, day))).text) == [seq]
    assert shown((await client.get(query(before, before))).text) == []
    assert shown((await client.get(query(after, after))).text) == []
    assert shown((await client.get(f"/audit?action=patient.view&from={day}")).text) == [seq]
    assert shown((await client.get(f"/audit?action=patient.view&to={before}")).text) == []


async def test_a_filter_not_in_the_expected_form_is_explained_beside_its_field(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await admin_in(db_session, client)
    response = await client.get("/audit?from=31/03/2025&to=2025-03-01&person=nobody")
    assert response.status_code == 422
    assert "Enter a date, like 2025-03-31." in response.text
    assert "Choose a person from the list." in response.text
    assert 'value="31/03/2025"' in response.text  # what was typed is kept
    partial = await client.get(
        "/audit?from=2025-04-02&to=2025-04-01", headers={"HX-Request": "true"}
    )
    assert partial.status_code == 422
    assert "The end date must be on or after the start date." in partial.text
    assert "<html" not in partial.text
    assert 'id="audit-trail"' in partial.text


async def test_viewing_the_log_is_itself_recorded(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin = await admin_in(db_session, client)
    await client.get("/audit?action=patient.view")
    viewed = (
        await db_session.execute(
            select(AuditEvent).where(
                AuditEvent.tenant_id == tenant.id, AuditEvent.action == "audit.view"
            )
        )
    ).scalar_one()
    assert viewed.actor_id == admin.id
    assert viewed.route == "/audit"
    assert viewed.detail == {"filters": {"action": "patient.view"}}
    assert "Viewed the audit log" in (await client.get("/audit")).text


async def test_times_are_written_in_the_readers_language(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin = await admin_in(db_session, client)
    seq = await event(db_session, tenant, admin, "patient.view")
    occurred = await db_session.scalar(
        select(AuditEvent.occurred_at).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.seq == seq
        )
    )
    client.cookies.set(LOCALE_COOKIE, "ar", domain="testserver.local")
    response = await client.get("/audit")
    expected = format_datetime(occurred, "medium", tzinfo=ZoneInfo("UTC"), locale="ar")
    assert expected in response.text
    assert 'lang="ar"' in response.text


def _event_actions(html: str) -> list[str]:
    """The action each event row shows, newest first."""
    return re.findall(r'id="event-\d+">\s*<div>\s*<p><strong>([^<]*)</strong>', html)


async def test_each_event_shows_its_action_by_name_not_by_code(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """What an admin just did (the list of patients, then this log) is named, in English
    and in Arabic; no row shows a stored code such as `patient.list`."""
    await admin_in(db_session, client)
    assert (await client.get("/patients")).status_code == 200
    await client.get("/audit")
    response = await client.get("/audit")
    actions = _event_actions(response.text)
    assert actions[:2] == ["Viewed the audit log", "Viewed the list of patients"]
    client.cookies.set(LOCALE_COOKIE, "ar", domain="testserver.local")
    arabic = _event_actions((await client.get("/audit")).text)
    assert arabic[:3] == ["عرض سجل التدقيق"] * 2 + ["عرض قائمة المرضى"]
    for shown_action in actions + arabic:
        assert not re.fullmatch(r"[a-z_]+\.[a-z_]+", shown_action), shown_action
