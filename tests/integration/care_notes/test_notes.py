"""Care notes: writing, the list with its filters and pages, who may do what."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient, Role, TenantSettings
from app.db.models.care_notes import CareNote
from app.domain.care_notes.services import PAGE_SIZE
from app.domain.keys.keyring import Keyring
from tests.conftest import csrf_headers
from tests.factories import make_patient, make_person, sign_in
from tests.integration.patients.conftest import Team, audit_count, last_audit

from .conftest import HTMX, write_note


def note_ids(html: str) -> list[str]:
    return re.findall(r'<article id="note-([0-9a-f-]{36})"', html)


async def stored_notes(db: AsyncSession, patient: Patient) -> list[CareNote]:
    return list(
        (
            await db.scalars(
                select(CareNote)
                .where(CareNote.patient_id == patient.id)
                .order_by(CareNote.created_at.desc(), CareNote.id.desc())
                .execution_options(populate_existing=True)
            )
        ).all()
    )


async def test_a_carer_writes_a_note_and_finds_it_in_the_list(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    fields = {
        "category": "meals_fluids",
        "text": "Ate all of her lunch.\nDrank 200 ml.",
        "handover": "1",
    }
    response = await write_note(client, ada, fields)
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{ada.id}/notes?done=created"

    (note,) = await stored_notes(db_session, ada)
    assert (note.category, note.body, note.handover, note.version) == (
        "meals_fluids",
        "Ate all of her lunch.\nDrank 200 ml.",
        True,
        1,
    )
    assert note.author_id == team.carer.id
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Ate all of her lunch." in page.text
    assert "Meals and fluids" in page.text
    assert "Handover" in page.text
    assert "By Cara Carer" in page.text
    assert "Note saved." in page.text


async def test_a_note_written_in_place_comes_back_for_the_top_of_the_list_with_a_toast(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await write_note(
        client, ada, {"category": "mood", "text": "Cheerful today.", "place": "list"}, htmx=True
    )
    assert response.status_code == 200
    assert json.loads(response.headers["hx-trigger"])["toast"]["message"] == "Note saved"
    assert response.text.lstrip().startswith('<li class="list__row notes-list__row">')
    assert "Cheerful today." in response.text
    assert 'id="note-composer-list" class="note-composer" hx-swap-oob="true"' in response.text
    assert "<html" not in response.text


async def test_the_list_form_is_offered_in_place_to_prepend_to_the_list(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    form = await client.get(f"/patients/{ada.id}/notes/new?place=list", headers=HTMX)
    assert form.status_code == 200
    assert 'hx-target="#note-list" hx-swap="afterbegin"' in form.text
    assert 'accept="image/*"' in form.text
    page = await client.get(f"/patients/{ada.id}/notes/new")
    assert "hx-post" not in page.text  # the page of its own posts plainly, and redirects


async def test_an_empty_list_says_what_to_do_next(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    page = await client.get(f"/patients/{ada.id}/notes")
    assert page.status_code == 200
    assert "No notes yet — write the first one." in page.text
    assert f'href="/patients/{ada.id}/notes/new"' in page.text


async def test_a_note_without_text_comes_back_with_an_error_and_what_was_chosen(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await write_note(client, ada, {"category": "sleep", "text": "   ", "handover": "1"})
    assert response.status_code == 422
    assert "Write the note" in response.text
    assert '<option value="sleep" selected>' in response.text
    assert re.search(r'name="handover" value="1"\s+checked', response.text)
    assert await stored_notes(db_session, ada) == []


async def test_a_note_that_is_too_long_keeps_the_text_and_says_the_limit(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    text = "Long day. " * 401
    response = await write_note(client, ada, {"category": "general", "text": text})
    assert response.status_code == 422
    assert "at most 4000 characters" in response.text
    assert text.strip() in response.text
    assert await stored_notes(db_session, ada) == []


async def test_an_unknown_category_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await write_note(client, ada, {"category": "gossip", "text": "Hello"})
    assert response.status_code == 422
    assert "Choose what the note is about." in response.text
    assert ">Hello</textarea>" in response.text


async def test_an_in_place_form_with_errors_replaces_itself(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await write_note(
        client, ada, {"category": "oops", "text": "Kept", "place": "list"}, htmx=True
    )
    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#note-form"
    assert response.text.lstrip().startswith('<form id="note-form"')
    assert ">Kept</textarea>" in response.text


async def _notes_at(
    db: AsyncSession, team: Team, patient: Patient, moments: list[tuple[datetime, str, str]]
) -> None:
    from app.db.models.base import new_id

    for moment, category, text in moments:
        db.add(
            CareNote(
                id=new_id(),
                tenant_id=team.tenant.id,
                patient_id=patient.id,
                author_id=team.carer.id,
                updated_by=team.carer.id,
                created_at=moment,
                updated_at=moment,
                category=category,
                body=text,
                handover=False,
                version=1,
            )
        )
    await db.flush()


async def test_the_list_is_newest_first_and_pages_on_to_older_notes(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    count = PAGE_SIZE + 5
    await _notes_at(
        db_session,
        team,
        ada,
        [(start + timedelta(hours=n), "general", f"Note number {n:02d}.") for n in range(count)],
    )
    await sign_in(client, db_session, team.tenant, team.carer)
    first = await client.get(f"/patients/{ada.id}/notes")
    texts = re.findall(r"Note number (\d\d)\.", first.text)
    assert texts == [f"{n:02d}" for n in range(count - 1, count - 1 - PAGE_SIZE, -1)]
    older = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert older is not None
    second = await client.get(older.group(1).replace("&amp;", "&"), headers=HTMX)
    assert second.status_code == 200
    assert second.text.lstrip().startswith('<div id="note-results"')
    assert re.findall(r"Note number (\d\d)\.", second.text) == [
        f"{n:02d}" for n in range(4, -1, -1)
    ]
    assert 'rel="next"' not in second.text
    assert "Newest notes" in second.text


async def test_the_list_filters_by_category_and_days_in_the_care_accounts_zone(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await db_session.execute(
        update(TenantSettings)
        .where(TenantSettings.tenant_id == team.tenant.id)
        .values(time_zone="Pacific/Auckland")
    )
    # 11:30 UTC on 2 March is 00:30 on 3 March in Auckland (UTC+13 in March).
    await _notes_at(
        db_session,
        team,
        ada,
        [
            (datetime(2026, 3, 1, 20, tzinfo=UTC), "sleep", "Slept well on the second."),
            (datetime(2026, 3, 2, 11, 30, tzinfo=UTC), "sleep", "Restless just after midnight."),
            (datetime(2026, 3, 2, 12, tzinfo=UTC), "mood", "Bright on the third."),
            (datetime(2026, 3, 4, 1, tzinfo=UTC), "sleep", "Slept late on the fourth."),
        ],
    )
    await sign_in(client, db_session, team.tenant, team.carer)
    url = f"/patients/{ada.id}/notes"
    by_day = await client.get(url, params={"from": "2026-03-03", "to": "2026-03-03"})
    assert "Restless just after midnight." in by_day.text
    assert "Bright on the third." in by_day.text
    assert "Slept well on the second." not in by_day.text
    assert "Slept late on the fourth." not in by_day.text

    sleep = await client.get(url, params={"category": "sleep", "from": "2026-03-03"}, headers=HTMX)
    assert sleep.status_code == 200
    assert sleep.text.lstrip().startswith('<div id="note-results"')
    assert "Restless just after midnight." in sleep.text
    assert "Slept late on the fourth." in sleep.text
    assert "Bright on the third." not in sleep.text
    assert "Slept well on the second." not in sleep.text

    nothing = await client.get(url, params={"category": "continence"})
    assert "No notes match these filters." in nothing.text

    event = await last_audit(db_session, team.tenant, "note.list")
    assert event.detail["category"] == "continence"


async def test_a_filter_that_is_not_a_date_is_said_so_and_left_out(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, {"category": "general", "text": "Visible anyway."})
    page = await client.get(f"/patients/{ada.id}/notes", params={"from": "yesterday"})
    assert page.status_code == 200
    assert "Enter a date, like 2026-03-12." in page.text
    assert "Visible anyway." in page.text


async def test_an_edit_keeps_the_earlier_version_with_who_and_when(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    await write_note(client, ada, {"category": "mobility", "text": "Walked to the gate."})
    (note,) = await stored_notes(db_session, ada)
    written_at = note.created_at

    await sign_in(client, db_session, team.tenant, team.carer)
    form = await client.get(f"/patients/{ada.id}/notes/{note.id}/edit")
    assert form.status_code == 200
    assert "Walked to the gate.</textarea>" in form.text
    changed = await client.post(
        f"/patients/{ada.id}/notes/{note.id}/edit",
        data={"category": "mobility", "text": "Walked to the gate and back.", "version": "1"},
        headers=await csrf_headers(client),
    )
    assert changed.status_code == 303

    (note,) = await stored_notes(db_session, ada)
    assert (note.body, note.version, note.updated_by) == (
        "Walked to the gate and back.",
        2,
        team.carer.id,
    )
    page = await client.get(f"/patients/{ada.id}/notes/{note.id}")
    assert page.status_code == 200
    assert "Walked to the gate and back." in page.text
    history = page.text.split("Earlier versions", 1)[1]
    assert "Walked to the gate." in history
    assert "Version 1, by Alma Admin" in history
    assert f'datetime="{written_at.isoformat()}"' in history
    assert "Changed by Cara Carer" in page.text
    assert await audit_count(db_session, team.tenant, "note.update", object_id=str(note.id)) == 1
    assert await audit_count(db_session, team.tenant, "note.view", object_id=str(note.id)) == 2


async def test_an_edit_in_place_returns_the_note_with_a_toast(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, {"category": "general", "text": "First words."})
    (note,) = await stored_notes(db_session, ada)
    inline = await client.get(f"/patients/{ada.id}/notes/{note.id}/edit", headers=HTMX)
    assert inline.text.lstrip().startswith(f'<article id="note-{note.id}"')
    assert f'hx-target="#note-{note.id}"' in inline.text
    saved = await client.post(
        f"/patients/{ada.id}/notes/{note.id}/edit",
        data={"category": "general", "text": "Better words.", "version": "1"},
        headers=await csrf_headers(client) | HTMX,
    )
    assert saved.status_code == 200
    assert json.loads(saved.headers["hx-trigger"])["toast"]["message"] == "Note updated"
    assert saved.text.lstrip().startswith(f'<article id="note-{note.id}"')
    assert "Better words." in saved.text


async def test_an_invalid_edit_keeps_what_was_typed(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, {"category": "general", "text": "Fine."})
    (note,) = await stored_notes(db_session, ada)
    response = await client.post(
        f"/patients/{ada.id}/notes/{note.id}/edit",
        data={"category": "nonsense", "text": "My new words", "version": "1"},
        headers=await csrf_headers(client),
    )
    assert response.status_code == 422
    assert "My new words</textarea>" in response.text
    assert "Choose what the note is about." in response.text
    (note,) = await stored_notes(db_session, ada)
    assert (note.body, note.version) == ("Fine.", 1)


async def test_an_edit_made_meanwhile_is_not_overwritten(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, {"category": "general", "text": "One."})
    (note,) = await stored_notes(db_session, ada)
    url = f"/patients/{ada.id}/notes/{note.id}/edit"
    ok = await client.post(
        url, data={"category": "general", "text": "Two.", "version": "1"},
        headers=await csrf_headers(client),
    )  # fmt: skip
    assert ok.status_code == 303
    stale = await client.post(
        url, data={"category": "general", "text": "Mine.", "version": "1"},
        headers=await csrf_headers(client),
    )  # fmt: skip
    assert stale.status_code == 409
    assert "Someone else changed this note" in stale.text
    assert "Mine.</textarea>" in stale.text
    (note,) = await stored_notes(db_session, ada)
    assert (note.body, note.version) == ("Two.", 2)


async def test_an_observer_reads_notes_but_may_not_write_or_change_them(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, {"category": "general", "text": "Seen by family."})
    (note,) = await stored_notes(db_session, ada)

    await sign_in(client, db_session, team.tenant, team.observer)
    page = await client.get(f"/patients/{ada.id}/notes")
    assert page.status_code == 200
    assert "Seen by family." in page.text
    assert "/notes/new" not in page.text
    assert "/edit" not in page.text
    assert "Write a note" not in page.text
    one = await client.get(f"/patients/{ada.id}/notes/{note.id}")
    assert one.status_code == 200
    assert "/edit" not in one.text

    assert (await client.get(f"/patients/{ada.id}/notes/new")).status_code == 403
    assert (await client.get(f"/patients/{ada.id}/notes/{note.id}/edit")).status_code == 403
    created = await write_note(client, ada, {"category": "general", "text": "Sneaky."})
    assert created.status_code == 403
    changed = await client.post(
        f"/patients/{ada.id}/notes/{note.id}/edit",
        data={"category": "general", "text": "Sneaky.", "version": "1"},
        headers=await csrf_headers(client),
    )
    assert changed.status_code == 403
    assert [n.body for n in await stored_notes(db_session, ada)] == ["Seen by family."]


async def test_a_carer_without_a_grant_gets_not_found(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, {"category": "general", "text": "Private."})
    (note,) = await stored_notes(db_session, ada)
    stranger = await make_person(db_session, team.tenant, Role.CARER, name="Stan Stranger")
    await sign_in(client, db_session, team.tenant, stranger)
    base = f"/patients/{ada.id}/notes"
    for url in (
        base,
        f"{base}/new",
        f"{base}/{note.id}",
        f"{base}/{note.id}/edit",
        f"{base}/{note.id}/photo",
    ):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "Private." not in response.text
    assert (await write_note(client, ada, {"category": "general", "text": "x"})).status_code == 404


async def test_a_note_of_another_patient_is_not_reached_through_this_one(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team, ada: Patient
) -> None:
    bob = await make_patient(db_session, keyring, team.tenant, given="Bob", family="Builder")
    await sign_in(client, db_session, team.tenant, team.admin)
    await write_note(client, bob, {"category": "general", "text": "Bob's note."})
    (note,) = await stored_notes(db_session, bob)
    response = await client.get(f"/patients/{ada.id}/notes/{note.id}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{ada.id}/notes?missing=1"
    listed = await client.get(response.headers["location"])
    assert "That note could not be found." in listed.text
    assert "Bob's note." not in listed.text


async def test_an_archived_patients_record_takes_no_new_notes(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    gone = await make_patient(db_session, keyring, team.tenant, given="Gone", archived=True)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await write_note(client, gone, {"category": "general", "text": "Too late."})
    assert response.status_code == 409
    assert "care can no longer be recorded" in response.text
    assert await stored_notes(db_session, gone) == []
    page = await client.get(f"/patients/{gone.id}/notes")
    assert page.status_code == 200
    assert "Write a note" not in page.text


async def test_reading_and_writing_notes_is_audited(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, {"category": "mood", "text": "Audited.", "handover": "1"})
    (note,) = await stored_notes(db_session, ada)
    created = await last_audit(db_session, team.tenant, "note.create")
    assert (created.actor_id, created.patient_id, created.object_id) == (
        team.carer.id,
        ada.id,
        str(note.id),
    )
    assert created.detail == {"category": "mood", "handover": True, "photo": False}
    assert "Audited." not in json.dumps(created.detail)

    await client.get(f"/patients/{ada.id}/notes")
    listed = await last_audit(db_session, team.tenant, "note.list")
    assert listed.detail["note_ids"] == [str(note.id)]
    assert listed.patient_id == ada.id

    await client.get(f"/patients/{ada.id}/notes/{note.id}")
    assert await audit_count(db_session, team.tenant, "note.view", patient_id=ada.id) == 1
    await client.post(
        f"/patients/{ada.id}/notes/{note.id}/edit",
        data={"category": "mood", "text": "Audited again.", "version": "1"},
        headers=await csrf_headers(client),
    )
    updated = await last_audit(db_session, team.tenant, "note.update")
    assert updated.detail == {"fields": ["text", "handover"], "version": 2}
