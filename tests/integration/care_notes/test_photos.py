"""A note's photo: type from the bytes, a size limit, no metadata, sealed, served uncached."""

from __future__ import annotations

import io

import httpx
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient
from app.db.models.care_notes import CareNote, CareNotePhoto
from app.domain.patients.photos import MAX_BYTES
from tests.factories import sign_in
from tests.integration.patients.conftest import Team, audit_count, last_audit
from tests.integration.patients.test_photos import GPS_IFD, phone_photo

from .conftest import write_note

FIELDS = {"category": "personal_care", "text": "Small graze on the left shin, cleaned."}


async def _the_note(db: AsyncSession, patient: Patient) -> CareNote:
    return (await db.scalars(select(CareNote).where(CareNote.patient_id == patient.id))).one()


async def test_the_served_photo_has_no_exif_or_gps(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    original = phone_photo()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    await sign_in(client, db_session, team.tenant, team.carer)
    created = await write_note(client, ada, FIELDS, ("shin.jpg", original, "image/jpeg"))
    assert created.status_code == 303, created.text
    note = await _the_note(db_session, ada)

    served = await client.get(f"/patients/{ada.id}/notes/{note.id}/photo")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "no-store"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (64, 48)
    assert not image.getexif()
    assert not image.getexif().get_ifd(GPS_IFD)
    assert b"PhoneMaker" not in served.content
    assert b"taken at home" not in served.content
    assert await audit_count(db_session, team.tenant, "note.photo_view", patient_id=ada.id) == 1
    created_event = await last_audit(db_session, team.tenant, "note.create")
    assert created_event.detail["photo"] is True


async def test_the_photo_is_stored_encrypted_and_bound_to_its_note(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, FIELDS, ("shin.jpg", phone_photo(), "image/jpeg"))
    note = await _the_note(db_session, ada)
    stored = (
        await db_session.scalars(select(CareNotePhoto).where(CareNotePhoto.note_id == note.id))
    ).one()
    assert not stored.content.startswith(b"\xff\xd8\xff")  # not a JPEG: ciphertext
    assert b"JFIF" not in stored.content
    assert stored.key_version == 1


async def test_the_notes_page_shows_the_photo_and_the_list_only_links_to_it(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.observer)
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, FIELDS, ("shin.jpg", phone_photo(), "image/jpeg"))
    note = await _the_note(db_session, ada)
    photo_url = f"/patients/{ada.id}/notes/{note.id}/photo"

    await sign_in(client, db_session, team.tenant, team.observer)
    listed = await client.get(f"/patients/{ada.id}/notes")
    assert f'href="{photo_url}"' in listed.text
    assert f'src="{photo_url}"' not in listed.text  # a list never fetches photos
    page = await client.get(f"/patients/{ada.id}/notes/{note.id}")
    assert f'src="{photo_url}"' in page.text
    assert (await client.get(photo_url)).status_code == 200  # observers see photos too


async def test_a_file_that_is_not_a_photo_is_refused_and_the_text_kept(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await write_note(
        client, ada, FIELDS, ("shin.jpg", b"%PDF-1.7 not a photo at all", "image/jpeg")
    )
    assert response.status_code == 422
    assert "This file is not a photo. Choose a JPEG, PNG or WebP image." in response.text
    assert "Small graze on the left shin, cleaned.</textarea>" in response.text
    assert '<option value="personal_care" selected>' in response.text
    assert (
        await db_session.scalars(select(CareNote).where(CareNote.patient_id == ada.id))
    ).first() is None


async def test_a_photo_that_is_too_large_is_refused_and_the_text_kept(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    huge = phone_photo() + b"\0" * MAX_BYTES
    response = await write_note(client, ada, FIELDS, ("huge.jpg", huge, "image/jpeg"))
    assert response.status_code == 422
    assert "The photo is larger than 5 MB. Choose a smaller one." in response.text
    assert "Small graze on the left shin, cleaned.</textarea>" in response.text


async def test_a_good_photo_with_a_bad_note_asks_for_the_photo_again(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await write_note(
        client, ada, {"category": "general", "text": ""}, ("shin.jpg", phone_photo(), "image/jpeg")
    )
    assert response.status_code == 422
    assert "Choose the photo again" in response.text


async def test_a_note_without_a_photo_has_none_to_serve(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    await write_note(client, ada, FIELDS)
    note = await _the_note(db_session, ada)
    response = await client.get(f"/patients/{ada.id}/notes/{note.id}/photo")
    assert response.status_code == 204
    assert await audit_count(db_session, team.tenant, "note.photo_view") == 0
