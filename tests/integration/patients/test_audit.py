"""Every read of a patient's identity leaves exactly one audit event, in its transaction;
admins see who viewed a record on its page."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.domain.keys.keyring import Keyring
from tests.factories import grant_access, make_patient, make_person, sign_in
from tests.integration.patients.conftest import Team, audit_count, last_audit


async def test_each_view_writes_one_view_event(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await grant_access(db_session, team.tenant, ada, team.carer)
    await sign_in(client, db_session, team.tenant, team.carer)
    await client.get(f"/patients/{ada.id}")
    await client.get(f"/patients/{ada.id}")
    assert await audit_count(db_session, team.tenant, "patient.view", patient_id=ada.id) == 2
    event = await last_audit(db_session, team.tenant, "patient.view")
    assert event.actor_id == team.carer.id
    assert event.route == f"/patients/{ada.id}"


async def test_a_refused_view_writes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await sign_in(client, db_session, team.tenant, team.carer)
    assert (await client.get(f"/patients/{ada.id}")).status_code == 404
    assert await audit_count(db_session, team.tenant, "patient.view") == 0


async def test_the_list_records_the_ids_it_showed(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    grace = await make_patient(db_session, keyring, team.tenant, given="Grace")
    await sign_in(client, db_session, team.tenant, team.admin)
    await client.get("/patients")
    assert await audit_count(db_session, team.tenant, "patient.list") == 1
    event = await last_audit(db_session, team.tenant, "patient.list")
    assert event.detail["patient_ids"] == [str(grace.id), str(ada.id)]


async def test_a_search_records_the_ids_it_showed_but_not_the_words(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant, given="Ada", family="Lovelace")
    await make_patient(db_session, keyring, team.tenant, given="Grace", family="Hopper")
    await sign_in(client, db_session, team.tenant, team.admin)
    await client.get("/patients", params={"q": "lovelace"})
    assert await audit_count(db_session, team.tenant, "patient.search") == 1
    assert await audit_count(db_session, team.tenant, "patient.list") == 0
    event = await last_audit(db_session, team.tenant, "patient.search")
    assert event.detail["patient_ids"] == [str(ada.id)]
    assert "lovelace" not in str(event.detail).lower()


async def test_admins_see_who_viewed_the_record(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await grant_access(db_session, team.tenant, ada, team.carer)
    await sign_in(client, db_session, team.tenant, team.carer)
    await client.get(f"/patients/{ada.id}")
    await sign_in(client, db_session, team.tenant, team.admin)
    page = await client.get(f"/patients/{ada.id}")
    panel = page.text.split('id="viewers"', 1)[1]
    assert "Who viewed this record" in page.text
    assert "Cara Carer" in panel
    assert "Alma Admin" in panel  # this very view is already on record


async def test_carers_do_not_see_who_viewed_the_record(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await grant_access(db_session, team.tenant, ada, team.carer)
    await sign_in(client, db_session, team.tenant, team.carer)
    page = await client.get(f"/patients/{ada.id}")
    assert 'id="viewers"' not in page.text
    assert 'id="access"' not in page.text


async def test_who_viewed_shows_only_the_latest_twenty(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    reader = await make_person(db_session, team.tenant, Role.OBSERVER, name="Rhea Reader")
    await grant_access(db_session, team.tenant, ada, reader)
    await sign_in(client, db_session, team.tenant, reader)
    for _ in range(25):
        await client.get(f"/patients/{ada.id}")
    await sign_in(client, db_session, team.tenant, team.admin)
    page = await client.get(f"/patients/{ada.id}")
    panel = page.text.split('id="viewers"', 1)[1]
    assert panel.count('class="list__row"') == 20
