"""The home page: one URL, a full page or an htmx partial, and what a new install shows."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.lib.templates import make_environment
from tests.factories import make_tenant


async def test_home_is_a_full_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.text.startswith("<!doctype html>")
    assert '<main id="main"' in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_htmx_request_gets_only_the_partial(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="welcome"')
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_boosted_request_gets_the_full_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in response.text


def test_new_installation_says_there_are_no_care_accounts() -> None:
    # Rendered directly: other tests commit care accounts to the shared test database.
    # `tend run` on an empty database shows it for real (tests/integration/cli).
    from types import SimpleNamespace

    html = (
        make_environment()
        .get_template("home/partials/_welcome.html")
        .render(has_tenants=False, request=SimpleNamespace(scope={}))
    )
    assert "No care accounts yet" in html


async def test_installation_with_a_care_account_does_not_say_it_is_new(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await make_tenant(db_session)
    await db_session.commit()
    response = await client.get("/")
    assert "No care accounts yet" not in response.text
