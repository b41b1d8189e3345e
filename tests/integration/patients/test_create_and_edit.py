"""Adding and editing patients: checked field by field, sealed at rest, indexed for search."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient, PatientSearchTerm
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from app.domain.patients.codec import open_identity
from app.lib.crypto import DecryptionError
from tests.factories import ensure_keys, make_patient, make_person, make_tenant, sign_in
from tests.integration.patients.conftest import Team, audit_count, last_audit, post_form

FULL = {
    "given_name": "Margaret",
    "family_name": "Hamilton",
    "preferred_name": "Maggie",
    "date_of_birth": "1936-08-17",
    "identifier_kind": ["nhs", "", ""],
    "identifier_value": ["9434765919", "", ""],
    "address": "12 Orchard Lane\nRiverside",
    "phone": "+44 20 7946 0000",
    "contact_name": ["Lauren Hamilton", "", ""],
    "contact_relationship": ["Daughter", "", ""],
    "contact_phone": ["020 7946 0001", "", ""],
}


async def _created(session: AsyncSession, team: Team) -> Patient:
    await bind_tenant(session, team.tenant.id)
    patient = await session.scalar(
        select(Patient).where(Patient.tenant_id == team.tenant.id).order_by(Patient.id.desc())
    )
    assert patient is not None
    return patient


async def test_admin_adds_a_patient_and_lands_on_their_page(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await post_form(client, "/patients/new", FULL)
    assert response.status_code == 303
    patient = await _created(db_session, team)
    assert response.headers["location"] == f"/patients/{patient.id}?done=created"
    page = await client.get(response.headers["location"])
    assert "Maggie Hamilton" in page.text
    assert "943 476 5919" in page.text
    assert "Lauren Hamilton" in page.text
    assert "Patient added." in page.text
    identity = await open_identity(db_session, keyring, patient)
    assert identity.date_of_birth == date(1936, 8, 17)
    assert identity.emergency_contacts == [
        {"name": "Lauren Hamilton", "relationship": "Daughter", "phone": "020 7946 0001"}
    ]


async def test_the_database_holds_no_clear_text(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    await post_form(client, "/patients/new", FULL)
    patient = await _created(db_session, team)
    row = (
        (
            await db_session.execute(
                text("SELECT * FROM patients WHERE tenant_id = :t AND id = :id"),
                {"t": team.tenant.id, "id": patient.id},
            )
        )
        .mappings()
        .one()
    )
    stored = b"".join(value for value in row.values() if isinstance(value, bytes))
    for clear in ("Margaret", "Hamilton", "Maggie", "1936", "9434765919", "Orchard", "7946"):
        assert clear.encode() not in stored
        assert clear.lower().encode() not in stored
    terms = (
        await db_session.scalars(
            select(PatientSearchTerm.term).where(PatientSearchTerm.patient_id == patient.id)
        )
    ).all()
    assert terms
    for clear in ("margaret", "hamilton", "ha", "9434765919"):
        assert clear.encode() not in terms
    # Inside a term only what is long enough not to turn up in random bytes by chance: two
    # bytes ("ha") appear somewhere in one 32-byte HMAC about once in 2,000.
    for clear in ("margaret", "hamilton", "9434765919"):
        assert all(clear.encode() not in term for term in terms)


async def test_a_ciphertext_moved_elsewhere_does_not_decrypt(
    db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant, given="Ada", family="Lovelace")
    grace = await make_patient(db_session, keyring, team.tenant, given="Grace", family="Hopper")
    other = await make_tenant(db_session)
    await ensure_keys(db_session, keyring, other)
    stranger = await make_patient(db_session, keyring, other)

    grace.given_name = ada.given_name  # another row
    with pytest.raises(DecryptionError):
        await open_identity(db_session, keyring, grace, ("given_name",))
    ada.family_name = ada.given_name  # another column
    with pytest.raises(DecryptionError):
        await open_identity(db_session, keyring, ada, ("family_name",))
    stranger.given_name = grace.family_name  # another tenant
    with pytest.raises(DecryptionError):
        await open_identity(db_session, keyring, stranger, ("given_name",))


async def test_validation_errors_keep_what_was_typed(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    future = (date.today() + timedelta(days=400)).isoformat()
    typed = {
        **FULL,
        "given_name": "",
        "date_of_birth": future,
        "identifier_value": ["1234567890", "", ""],
        "contact_phone": ["not a number", "", ""],
    }
    response = await post_form(client, "/patients/new", typed)
    assert response.status_code == 422
    assert "Enter the patient&#39;s given name." in response.text
    assert "The date of birth cannot be in the future." in response.text
    assert "This is not a valid NHS number" in response.text
    assert "Enter a phone number for this contact." in response.text
    for kept in ("Hamilton", "Maggie", future, "1234567890", "12 Orchard Lane", "Lauren Hamilton"):
        assert kept in response.text
    assert 'value="nhs" selected' in response.text
    assert await audit_count(db_session, team.tenant, "patient.create") == 0


async def test_a_date_of_birth_before_1900_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await post_form(client, "/patients/new", {**FULL, "date_of_birth": "1899-12-31"})
    assert response.status_code == 422
    assert "Enter a date of birth from 1900 on." in response.text


async def test_an_identifier_without_its_kind_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    fields = {**FULL, "identifier_kind": ["", "", ""], "identifier_value": ["ABC123", "", ""]}
    response = await post_form(client, "/patients/new", fields)
    assert response.status_code == 422
    assert "Choose what kind of number this is." in response.text


async def test_creating_writes_one_audit_event_naming_the_fields_not_their_values(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    await post_form(client, "/patients/new", FULL)
    patient = await _created(db_session, team)
    assert await audit_count(db_session, team.tenant, "patient.create") == 1
    event = await last_audit(db_session, team.tenant, "patient.create")
    assert event.patient_id == patient.id
    assert event.actor_id == team.admin.id
    assert "given_name" in event.detail["fields"]
    assert "Margaret" not in str(event.detail)


async def test_editing_saves_and_audits_the_changed_field_names(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(
        db_session, keyring, team.tenant, given="Ada", family="Lovelace", phone="0123 456789"
    )
    await sign_in(client, db_session, team.tenant, team.admin)
    form = await client.get(f"/patients/{ada.id}/edit")
    assert 'value="Lovelace"' in form.text
    fields = {"given_name": "Augusta Ada", "family_name": "King", "phone": "0123 456789"}
    response = await post_form(client, f"/patients/{ada.id}/edit", fields)
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{ada.id}?done=updated"
    event = await last_audit(db_session, team.tenant, "patient.update")
    assert sorted(event.detail["fields"]) == ["family_name", "given_name"]
    assert "King" not in str(event.detail)
    assert await audit_count(db_session, team.tenant, "patient.update") == 1
    found = await client.get("/patients", params={"q": "augusta king"})
    assert f"/patients/{ada.id}" in found.text
    assert f"/patients/{ada.id}" not in (await client.get("/patients?q=lovelace")).text


async def test_an_edit_that_changes_nothing_is_not_audited_as_an_update(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant, given="Ada", family="Lovelace")
    await sign_in(client, db_session, team.tenant, team.admin)
    fields = {"given_name": "Ada", "family_name": "Lovelace"}
    response = await post_form(client, f"/patients/{ada.id}/edit", fields)
    assert response.headers["location"] == f"/patients/{ada.id}?done=unchanged"
    assert await audit_count(db_session, team.tenant, "patient.update") == 0


async def test_editing_a_patient_of_another_care_account_is_404(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    other = await make_tenant(db_session)
    stranger = await make_person(db_session, other, "admin")
    await sign_in(client, db_session, other, stranger)
    fields = {"given_name": "Taken", "family_name": "Over"}
    response = await post_form(client, f"/patients/{ada.id}/edit", fields)
    assert response.status_code == 404
