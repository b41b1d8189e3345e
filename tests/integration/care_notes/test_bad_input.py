"""Input no one could mean, on care notes: a 400 for text the database cannot hold,
filter days beyond every note read as the nearest day; never a server error."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient
from app.lib.i18n import translations
from tests.conftest import LOCALE_COOKIE
from tests.factories import sign_in
from tests.integration.patients.conftest import Team

from .conftest import write_note
from .test_notes import stored_notes


@pytest.mark.parametrize("htmx", [False, True])
async def test_a_nul_byte_in_note_text_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient, htmx: bool
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    fields = {"category": "general", "text": "Slept\x00 well"}
    response = await write_note(client, ada, fields, htmx=htmx)
    assert response.status_code == 400
    assert "That request was not understood" in response.text
    if htmx:  # a toast: the form and what was typed in it stay on the page
        assert response.headers["hx-retarget"] == "#toasts"
        assert "<form" not in response.text
    assert await stored_notes(db_session, ada) == []


async def test_the_refusal_is_in_the_readers_language(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    client.cookies.set(LOCALE_COOKIE, "ar", domain="testserver.local")
    response = await write_note(client, ada, {"category": "general", "text": "\x00"})
    assert response.status_code == 400
    arabic = translations("ar").gettext("That request was not understood")
    assert arabic != "That request was not understood"
    assert arabic in response.text


@pytest.mark.parametrize(
    ("first", "last"),
    [("", "9999-12-31"), ("0001-01-01", "9999-12-31")],
)
async def test_filter_days_beyond_every_note_still_list_the_notes(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    team: Team,
    ada: Patient,
    first: str,
    last: str,
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    written = await write_note(client, ada, {"category": "general", "text": "Ate all of lunch"})
    assert written.status_code == 303
    response = await client.get(f"/patients/{ada.id}/notes", params={"from": first, "to": last})
    assert response.status_code == 200
    assert "Ate all of lunch" in response.text
