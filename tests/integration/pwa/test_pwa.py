"""The installable app: manifest, service worker, offline page, and notes stored once."""

from __future__ import annotations

import io
import json
import re
import uuid

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient
from app.db.models.care_notes import CareNote
from app.domain.pwa.controllers import OFFLINE_URL, PRECACHE_PLACEHOLDER, VERSION_PLACEHOLDER
from app.lib.static_files import all_static_urls, static_url
from tests.factories import sign_in
from tests.integration.care_notes.conftest import HTMX, write_note
from tests.integration.patients.conftest import Team
from tests.integration.web.test_security_headers import directives

# -- The manifest ---------------------------------------------------------------------


async def test_the_manifest_makes_an_installable_standalone_app(client: httpx.AsyncClient) -> None:
    response = await client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"].startswith("Tend")
    assert manifest["short_name"] == "Tend"
    assert manifest["description"]
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/today"
    assert manifest["scope"] == "/"
    assert manifest["id"] == "/today"
    assert manifest["theme_color"] == "#1b6b58"
    assert manifest["background_color"].startswith("#")
    assert (manifest["lang"], manifest["dir"]) == ("en", "ltr")
    by_purpose = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= by_purpose


@pytest.mark.parametrize(
    ("request_kwargs", "lang", "direction"),
    [
        ({"headers": {"Accept-Language": "ar"}}, "ar", "rtl"),
        ({"params": {"lang": "ar"}}, "ar", "rtl"),  # a browser sends no cookie: the page asks
        ({"params": {"lang": "xx"}, "headers": {"Accept-Language": "en"}}, "en", "ltr"),
    ],
)
async def test_the_manifest_speaks_the_users_language(
    client: httpx.AsyncClient, request_kwargs: dict, lang: str, direction: str
) -> None:
    response = await client.get("/manifest.webmanifest", **request_kwargs)
    manifest = response.json()
    assert (manifest["lang"], manifest["dir"]) == (lang, direction)
    assert response.headers["content-language"] == lang
    assert "Accept-Language" in response.headers["vary"]


async def test_pages_link_the_manifest_in_their_language(client: httpx.AsyncClient) -> None:
    page = await client.get("/", headers={"Accept-Language": "ar"})
    assert '<link rel="manifest" href="/manifest.webmanifest?lang=ar">' in page.text
    assert f'<link rel="apple-touch-icon" href="{static_url("icons/apple-touch-icon.png")}">' in (
        page.text
    )
    assert f'src="{static_url("js/pwa.js")}" type="module"' in page.text


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("icons/icon-192.png", 192),
        ("icons/icon-512.png", 512),
        ("icons/icon-maskable-512.png", 512),
        ("icons/apple-touch-icon.png", 180),
    ],
)
async def test_the_icons_are_served_as_pngs_of_their_size(
    client: httpx.AsyncClient, name: str, size: int
) -> None:
    response = await client.get(static_url(name))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (size, size)


async def test_the_manifests_icons_are_the_hashed_static_files(client: httpx.AsyncClient) -> None:
    manifest = (await client.get("/manifest.webmanifest")).json()
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).status_code == 200


# -- The service worker ----------------------------------------------------------------


async def test_the_service_worker_is_served_for_the_whole_site_and_always_revalidated(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"


async def test_the_service_worker_precaches_the_hashed_static_files_and_the_offline_page(
    client: httpx.AsyncClient,
) -> None:
    script = (await client.get("/sw.js")).text
    assert PRECACHE_PLACEHOLDER not in script
    assert VERSION_PLACEHOLDER not in script
    listed = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", script).group(1))  # type: ignore[union-attr]
    assert set(listed) == {*all_static_urls(), OFFLINE_URL}
    assert static_url("css/base.css") in listed
    assert static_url("vendor/htmx-2.0.11.min.js") in listed
    # Only hashed static files and the offline page: no page of anyone's record.
    assert all(url.startswith("/static/") or url == OFFLINE_URL for url in listed)
    version = re.search(r'const VERSION = "([0-9a-f]+)";', script)
    assert version is not None
    assert (await client.get("/sw.js")).headers["etag"] == f'"{version.group(1)}"'


async def test_the_service_worker_never_puts_a_page_in_a_cache() -> None:
    from app.paths import SERVICE_WORKER_DIR

    source = (SERVICE_WORKER_DIR / "sw.js").read_text()
    assert source.count("cache.put(") == 2  # a static file, and the offline page itself
    static_branch = source[source.index("async function staticFile") :]
    static_branch = static_branch[: static_branch.index("\n}\n")]
    assert "cache.put(request" in static_branch
    page_branch = source[source.index("async function page") :]
    page_branch = page_branch[: page_branch.index("\n}\n")]
    assert "put(" not in page_branch
    assert 'if (request.method !== "GET") return;' in source


async def test_the_csp_lets_the_worker_and_the_manifest_load(client: httpx.AsyncClient) -> None:
    for path in ("/", "/sw.js", "/manifest.webmanifest", OFFLINE_URL):
        policy = directives((await client.get(path)).headers["content-security-policy"])
        assert policy["worker-src"] == ["'self'"]
        assert policy["manifest-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]


# -- The offline page ------------------------------------------------------------------


async def test_the_offline_page_is_public_and_says_what_still_works(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(OFFLINE_URL)
    assert response.status_code == 200
    assert "You are offline" in response.text
    assert "sent by itself when the connection is back" in response.text
    assert "Photos are not kept offline" in response.text


async def test_the_offline_page_is_in_the_users_language(client: httpx.AsyncClient) -> None:
    response = await client.get(OFFLINE_URL, headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in response.text
    assert response.headers["content-language"] == "ar"


async def test_the_offline_page_names_no_one_even_for_someone_signed_in(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    today = await client.get(f"/patients/{ada.id}/today")
    assert "Ada" in today.text and team.tenant.name in today.text  # the test can see names
    response = await client.get(OFFLINE_URL)
    assert response.status_code == 200
    for private in ("Ada", "Lovelace", team.tenant.name, team.carer.email, str(ada.id)):
        assert private not in response.text
    assert "bottom-nav" not in response.text
    assert "data-owner" not in response.text


# -- Notes sent more than once ------------------------------------------------------


async def count_notes(db: AsyncSession, patient: Patient) -> int:
    return await db.scalar(
        select(func.count()).select_from(CareNote).where(CareNote.patient_id == patient.id)
    )  # type: ignore[return-value]


async def test_a_note_sent_twice_with_one_key_is_stored_once(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    key = str(uuid.uuid4())
    fields = {"category": "mood", "text": "Sang along to the radio.", "idempotency_key": key}
    first = await write_note(client, ada, fields)
    again = await write_note(client, ada, fields)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await count_notes(db_session, ada) == 1
    (note,) = (
        await db_session.scalars(select(CareNote).where(CareNote.patient_id == ada.id))
    ).all()
    assert str(note.idempotency_key) == key


async def test_a_note_sent_again_from_the_offline_queue_comes_back_as_the_first_one(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    fields = {
        "category": "sleep",
        "text": "Slept through.",
        "place": "list",
        "idempotency_key": str(uuid.uuid4()),
    }
    first = await write_note(client, ada, fields, htmx=True)
    again = await write_note(client, ada, fields, htmx=True)
    assert first.status_code == again.status_code == 200
    ids = [re.search(r'id="note-([0-9a-f-]{36})"', r.text).group(1) for r in (first, again)]  # type: ignore[union-attr]
    assert ids[0] == ids[1]
    assert await count_notes(db_session, ada) == 1


async def test_a_different_key_makes_a_second_note(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    for _ in range(2):
        fields = {"category": "mood", "text": "Same words.", "idempotency_key": str(uuid.uuid4())}
        assert (await write_note(client, ada, fields)).status_code == 303
    assert await count_notes(db_session, ada) == 2


async def test_a_form_without_a_key_still_saves_its_note(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    for key in ("", "not-a-uuid"):
        fields = {"category": "mood", "text": "No key.", "idempotency_key": key}
        assert (await write_note(client, ada, fields)).status_code == 303
    assert await count_notes(db_session, ada) == 2


async def test_someone_elses_key_is_neither_stored_nor_answered_with_their_note(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    key = str(uuid.uuid4())
    await sign_in(client, db_session, team.tenant, team.carer)
    fields = {"category": "mood", "text": "The carer's own words.", "idempotency_key": key}
    assert (await write_note(client, ada, fields)).status_code == 303
    await sign_in(client, db_session, team.tenant, team.admin)  # sees every patient
    fields = {"category": "mood", "text": "Another note.", "idempotency_key": key}
    response = await write_note(client, ada, fields)
    assert response.status_code == 409
    assert "The carer's own words." not in response.text
    assert "Another note." in response.text  # kept in the form
    assert f'name="idempotency_key" value="{key}"' not in response.text  # a fresh key
    assert await count_notes(db_session, ada) == 1


async def test_the_note_form_carries_a_fresh_key_each_time(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    keys = set()
    for _ in range(2):
        form = await client.get(f"/patients/{ada.id}/notes/new?place=list", headers=HTMX)
        found = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', form.text)
        assert found is not None
        keys.add(found.group(1))
    assert len(keys) == 2


async def test_a_form_that_comes_back_to_be_corrected_keeps_its_key(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, ada: Patient
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    key = str(uuid.uuid4())
    response = await write_note(
        client, ada, {"category": "mood", "text": " ", "idempotency_key": key}
    )
    assert response.status_code == 422
    assert f'name="idempotency_key" value="{key}"' in response.text
