"""Search through the blind index, and pages by key: newest first, 50 at a time."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.keys.keyring import Keyring
from tests.factories import grant_access, make_patient, sign_in
from tests.integration.patients.conftest import Team

ROW_LINK = re.compile(r'<a href="/patients/([0-9a-f-]{36})/today">')


def shown_ids(html: str) -> list[str]:
    return ROW_LINK.findall(html)


async def _people(session: AsyncSession, keyring: Keyring, team: Team) -> dict[str, str]:
    made = {
        "ada": await make_patient(
            session,
            keyring,
            team.tenant,
            given="Ada",
            family="Lovelace",
            identifiers=[("nhs", "943 476 5919")],
        ),
        "zoe": await make_patient(session, keyring, team.tenant, given="Zoë", family="Ødegård"),
        "adam": await make_patient(
            session, keyring, team.tenant, given="Adam", family="Smith", preferred="Ad"
        ),
        "mary": await make_patient(
            session,
            keyring,
            team.tenant,
            given="Mary",
            family="O'Brien-Lovelace",
            identifiers=[("medicare", "2123 45670 1")],
        ),
    }
    return {name: str(patient.id) for name, patient in made.items()}


async def search(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get("/patients", params={"q": query})
    assert response.status_code == 200
    return shown_ids(response.text)


async def test_search_by_name_prefix(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ids = await _people(db_session, keyring, team)
    await sign_in(client, db_session, team.tenant, team.admin)
    assert set(await search(client, "ad")) == {ids["ada"], ids["adam"]}
    assert await search(client, "Lovel") == [ids["mary"], ids["ada"]]


async def test_search_with_several_words_needs_every_word(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ids = await _people(db_session, keyring, team)
    await sign_in(client, db_session, team.tenant, team.admin)
    assert await search(client, "ada love") == [ids["ada"]]
    assert await search(client, "mary lovelace") == [ids["mary"]]
    assert await search(client, "ada smith") == [ids["adam"]]  # "ada" starts "Adam"
    assert await search(client, "ada hopper") == []


async def test_search_ignores_case_and_accents(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ids = await _people(db_session, keyring, team)
    await sign_in(client, db_session, team.tenant, team.admin)
    assert await search(client, "ZOE") == [ids["zoe"]]
    assert await search(client, "zoë ødeg") == [ids["zoe"]]
    assert await search(client, "obrien") == [ids["mary"]]
    assert await search(client, "o'brien") == [ids["mary"]]


async def test_search_by_identifier_however_it_is_spaced(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ids = await _people(db_session, keyring, team)
    await sign_in(client, db_session, team.tenant, team.admin)
    assert await search(client, "9434765919") == [ids["ada"]]
    assert await search(client, "943-476-5919") == [ids["ada"]]
    assert await search(client, "2123456701") == [ids["mary"]]
    assert await search(client, "943476") == []  # identifiers match whole, never by prefix


async def test_search_never_finds_a_patient_the_carer_was_not_given(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ids = await _people(db_session, keyring, team)
    ada = await make_patient(db_session, keyring, team.tenant, given="Ada", family="Byron")
    await grant_access(db_session, team.tenant, ada, team.carer)
    await sign_in(client, db_session, team.tenant, team.carer)
    assert await search(client, "ada") == [str(ada.id)]
    assert await search(client, "9434765919") == []
    assert ids["ada"] not in await search(client, "lovelace")


async def test_a_search_with_no_match_says_so(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    await _people(db_session, keyring, team)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await client.get("/patients", params={"q": "nobody"})
    assert "No patient matches this search" in response.text


async def test_htmx_search_gets_only_the_results(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ids = await _people(db_session, keyring, team)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await client.get("/patients", params={"q": "zoe"}, headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith(("{#", '<div id="patient-results"'))
    assert "<html" not in response.text
    assert shown_ids(response.text) == [ids["zoe"]]


async def test_pages_follow_each_other_by_key_newest_first(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    made = [
        str((await make_patient(db_session, keyring, team.tenant, given=f"P{n:02d}")).id)
        for n in range(60)
    ]
    newest_first = made[::-1]
    await sign_in(client, db_session, team.tenant, team.admin)
    first = await client.get("/patients")
    assert shown_ids(first.text) == newest_first[:50]
    next_link = re.search(r'href="(/patients\?after=[^"]+)" rel="next"', first.text)
    assert next_link is not None
    second = await client.get(next_link.group(1).replace("&amp;", "&"))
    assert shown_ids(second.text) == newest_first[50:]
    assert 'rel="next"' not in second.text


async def test_search_results_page_by_key_too(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    for n in range(55):
        await make_patient(db_session, keyring, team.tenant, given="Sam", family=f"Jones{n}")
    await make_patient(db_session, keyring, team.tenant, given="Other", family="Person")
    await sign_in(client, db_session, team.tenant, team.admin)
    first = await client.get("/patients", params={"q": "sam jones"})
    next_link = re.search(r'href="(/patients\?[^"]+)" rel="next"', first.text)
    assert next_link is not None
    second = await client.get(next_link.group(1).replace("&amp;", "&"))
    assert len(shown_ids(first.text)) == 50
    assert len(shown_ids(second.text)) == 5
    assert not set(shown_ids(first.text)) & set(shown_ids(second.text))
