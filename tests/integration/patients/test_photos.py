"""Photos: type from the bytes, a size limit, re-encoded without metadata, served uncached."""

from __future__ import annotations

import io

import httpx
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.keys.keyring import Keyring
from app.domain.patients.photos import MAX_BYTES
from tests.factories import grant_access, make_patient, sign_in
from tests.integration.patients.conftest import Team, audit_count, post_form

FIELDS = {"given_name": "Grace", "family_name": "Hopper", "address": "7 Harbour Road"}
GPS_IFD = 0x8825


def phone_photo() -> bytes:
    """A JPEG as a phone takes it: EXIF with the camera and where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 90)).save(
        out, "JPEG", exif=exif.tobytes(), comment=b"taken at home"
    )
    return out.getvalue()


async def _photo_of_new_patient(client: httpx.AsyncClient, photo: bytes) -> httpx.Response:
    created = await post_form(client, "/patients/new", FIELDS, ("photo.jpg", photo, "image/jpeg"))
    assert created.status_code == 303, created.text
    page = created.headers["location"].split("?")[0]
    return await client.get(f"{page}/photo")


async def test_the_served_photo_has_no_exif_or_gps(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    original = phone_photo()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    await sign_in(client, db_session, team.tenant, team.admin)
    served = await _photo_of_new_patient(client, original)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (64, 48)
    assert not image.getexif()
    assert not image.getexif().get_ifd(GPS_IFD)
    assert "exif" not in image.info
    assert b"PhoneMaker" not in served.content
    assert b"taken at home" not in served.content


async def test_the_photo_is_never_cached_and_its_viewing_is_audited(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant, photo=phone_photo())
    await grant_access(db_session, team.tenant, ada, team.carer)
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await client.get(f"/patients/{ada.id}/photo")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert await audit_count(db_session, team.tenant, "patient.photo_view", patient_id=ada.id) == 1


async def test_the_patient_page_shows_the_photo(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant, photo=phone_photo())
    await sign_in(client, db_session, team.tenant, team.admin)
    page = await client.get(f"/patients/{ada.id}")
    assert f'src="/patients/{ada.id}/photo"' in page.text


async def test_a_patient_without_a_photo_has_no_photo_to_serve(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(db_session, keyring, team.tenant)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await client.get(f"/patients/{ada.id}/photo")
    assert response.status_code == 204
    assert response.content == b""
    assert await audit_count(db_session, team.tenant, "patient.photo_view") == 0
    assert "/photo" not in (await client.get(f"/patients/{ada.id}")).text


async def test_a_text_file_named_like_a_photo_is_refused_and_the_text_kept(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    fake = ("photo.jpg", b"Dear diary, this is not a picture at all.", "image/jpeg")
    response = await post_form(client, "/patients/new", FIELDS, fake)
    assert response.status_code == 422
    assert "This file is not a photo. Choose a JPEG, PNG or WebP image." in response.text
    assert 'value="Grace"' in response.text
    assert "7 Harbour Road" in response.text
    assert await audit_count(db_session, team.tenant, "patient.create") == 0


async def test_a_photo_over_5_mb_is_refused_and_the_text_kept(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    big = phone_photo() + b"\0" * MAX_BYTES
    response = await post_form(client, "/patients/new", FIELDS, ("big.jpg", big, "image/jpeg"))
    assert response.status_code == 422
    assert "The photo is larger than 5 MB. Choose a smaller one." in response.text
    assert 'value="Hopper"' in response.text


async def test_the_form_says_to_choose_the_photo_again_after_another_error(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    fields = {**FIELDS, "family_name": ""}
    response = await post_form(
        client, "/patients/new", fields, ("p.jpg", phone_photo(), "image/jpeg")
    )
    assert response.status_code == 422
    assert "Choose the photo again" in response.text


async def test_png_and_webp_photos_are_accepted_and_served_as_jpeg(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    for kind in ("PNG", "WEBP"):
        out = io.BytesIO()
        Image.new("RGBA", (20, 20), (200, 0, 0, 128)).save(out, kind)
        served = await _photo_of_new_patient(client, out.getvalue())
        assert Image.open(io.BytesIO(served.content)).format == "JPEG", kind


async def test_an_edit_can_remove_the_photo(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(
        db_session, keyring, team.tenant, given="Ada", family="Lovelace", photo=phone_photo()
    )
    await sign_in(client, db_session, team.tenant, team.admin)
    assert "Remove the current photo" in (await client.get(f"/patients/{ada.id}/edit")).text
    fields = {"given_name": "Ada", "family_name": "Lovelace", "remove_photo": "1"}
    response = await post_form(client, f"/patients/{ada.id}/edit", fields)
    assert response.status_code == 303
    assert (await client.get(f"/patients/{ada.id}/photo")).status_code == 204


async def test_an_edit_without_a_new_photo_keeps_the_old_one(
    client: httpx.AsyncClient, db_session: AsyncSession, keyring: Keyring, team: Team
) -> None:
    ada = await make_patient(
        db_session, keyring, team.tenant, given="Ada", family="Lovelace", photo=phone_photo()
    )
    await sign_in(client, db_session, team.tenant, team.admin)
    fields = {"given_name": "Ada", "family_name": "King"}
    await post_form(client, f"/patients/{ada.id}/edit", fields)
    assert (await client.get(f"/patients/{ada.id}/photo")).status_code == 200
