"""Care account settings: name, idle timeout, session lifetime, MFA for everyone."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role, Tenant, TenantSettings
from app.db.tenancy import bind_tenant
from tests.conftest import csrf_headers
from tests.factories import make_person, make_tenant, sign_in

VALID = {
    "name": "Hillside Care",
    "idle_timeout_minutes": "30",
    "session_lifetime_hours": "12",
}


async def _admin(client: httpx.AsyncClient, db: AsyncSession):
    tenant = await make_tenant(db, "Old Name")
    admin = await make_person(db, tenant, Role.ADMIN)
    await sign_in(client, db, tenant, admin)
    return tenant


async def _save(client: httpx.AsyncClient, **changes: str) -> httpx.Response:
    return await client.post(
        "/settings/care-account", data={**VALID, **changes}, headers=await csrf_headers(client)
    )


async def _settings(db: AsyncSession, tenant: Tenant) -> TenantSettings:
    await bind_tenant(db, tenant.id)
    row = await db.scalar(
        select(TenantSettings)
        .where(TenantSettings.tenant_id == tenant.id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def test_page_shows_the_current_settings(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    response = await client.get("/settings/care-account")
    assert response.status_code == 200
    assert 'value="Old Name"' in response.text
    assert 'value="30"' in response.text
    assert 'value="12"' in response.text


async def test_saving_stores_the_settings(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await _admin(client, db_session)
    response = await _save(
        client, idle_timeout_minutes="45", session_lifetime_hours="24", require_mfa="on"
    )
    assert response.status_code == 303
    settings = await _settings(db_session, tenant)
    assert (settings.idle_timeout_minutes, settings.session_lifetime_hours) == (45, 24)
    assert settings.require_mfa is True


async def test_saving_renames_only_this_care_account(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    other = await make_tenant(db_session, "Someone Else's Care")
    tenant = await _admin(client, db_session)
    await _save(client, name="Hillside Care")
    names = dict((await db_session.execute(select(Tenant.id, Tenant.name))).all())
    assert names[tenant.id] == "Hillside Care"
    assert names[other.id] == "Someone Else's Care"


async def test_saving_is_audited(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    tenant = await _admin(client, db_session)
    await _save(client, idle_timeout_minutes="45")
    await bind_tenant(db_session, tenant.id)
    detail = await db_session.scalar(
        text("SELECT detail FROM audit_events WHERE action = 'tenant.settings_change'")
    )
    assert detail["idle_timeout_minutes"] == [30, 45]


async def test_saved_page_says_so(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    await _admin(client, db_session)
    response = await _save(client)
    page = await client.get(response.headers["location"])
    assert "Settings saved." in page.text


async def test_htmx_save_answers_with_the_form_and_a_toast(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    response = await client.post(
        "/settings/care-account",
        data=VALID,
        headers={**await csrf_headers(client), "HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "toast" in response.headers["hx-trigger"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("idle_timeout_minutes", "4"),
        ("idle_timeout_minutes", "481"),
        ("idle_timeout_minutes", "ten"),
        ("session_lifetime_hours", "0"),
        ("session_lifetime_hours", "169"),
    ],
)
async def test_out_of_range_values_are_refused_and_kept(
    client: httpx.AsyncClient, db_session: AsyncSession, field: str, value: str
) -> None:
    tenant = await _admin(client, db_session)
    response = await _save(client, **{field: value})
    assert response.status_code == 422
    assert f'id="error-{field}"' in response.text
    assert f'value="{value}"' in response.text
    settings = await _settings(db_session, tenant)
    assert (settings.idle_timeout_minutes, settings.session_lifetime_hours) == (30, 12)


async def test_empty_name_is_refused_and_other_values_kept(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    response = await _save(client, name="  ", idle_timeout_minutes="77")
    assert response.status_code == 422
    assert 'id="error-name"' in response.text
    assert 'value="77"' in response.text


async def test_short_idle_timeout_signs_out_an_idle_session(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await _admin(client, db_session)
    await _save(client, idle_timeout_minutes="5")
    await bind_tenant(db_session, tenant.id)
    await db_session.execute(
        text("UPDATE sessions SET last_seen_at = now() - interval '10 minutes'")
    )
    await db_session.commit()
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_default_idle_timeout_keeps_a_ten_minute_idle_session(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    # The control for the test above: the same idle time is fine under 30 minutes.
    tenant = await _admin(client, db_session)
    await bind_tenant(db_session, tenant.id)
    await db_session.execute(
        text("UPDATE sessions SET last_seen_at = now() - interval '10 minutes'")
    )
    await db_session.commit()
    assert (await client.get("/account")).status_code == 200


async def test_requiring_mfa_sends_a_carer_without_it_to_set_it_up(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await _admin(client, db_session)
    await _save(client, require_mfa="on")
    carer = await make_person(db_session, tenant, Role.CARER)
    await sign_in(client, db_session, tenant, carer)
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/mfa"


@pytest.mark.parametrize("role", [Role.CARER, Role.OBSERVER])
async def test_non_admins_get_403(
    client: httpx.AsyncClient, db_session: AsyncSession, role: Role
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, role)
    await sign_in(client, db_session, tenant, person)
    assert (await client.get("/settings/care-account")).status_code == 403
    assert (await _save(client)).status_code == 403


async def test_the_dose_window_is_shown_and_saved(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await _admin(client, db_session)
    page = await client.get("/settings/care-account")
    assert 'name="dose_window_minutes"' in page.text
    assert 'value="60"' in page.text
    response = await _save(client, dose_window_minutes="30")
    assert response.status_code == 303
    assert (await _settings(db_session, tenant)).dose_window_minutes == 30


@pytest.mark.parametrize("value", ["4", "241", "half an hour", ""])
async def test_a_dose_window_out_of_range_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, value: str
) -> None:
    tenant = await _admin(client, db_session)
    response = await _save(client, dose_window_minutes=value)
    assert response.status_code == 422
    assert "Enter a whole number from 5 to 240." in response.text
    assert f'value="{value}"' in response.text
    assert (await _settings(db_session, tenant)).dose_window_minutes == 60


async def test_saving_stores_the_escalation_delay(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await _admin(client, db_session)
    page = await client.get("/settings/care-account")
    assert 'name="escalate_after_minutes"' in page.text
    assert 'value="15"' in page.text
    response = await _save(client, escalate_after_minutes="45")
    assert response.status_code == 303
    assert (await _settings(db_session, tenant)).escalate_after_minutes == 45


@pytest.mark.parametrize("value", ["0", "1441", "soon"])
async def test_an_escalation_delay_out_of_range_is_refused_beside_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession, value: str
) -> None:
    tenant = await _admin(client, db_session)
    response = await _save(client, escalate_after_minutes=value)
    assert response.status_code == 422
    assert "Enter a whole number from 1 to 1440." in response.text
    assert f'value="{value}"' in response.text
    assert (await _settings(db_session, tenant)).escalate_after_minutes == 15
