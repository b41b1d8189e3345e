"""The CSRF token belongs to one session: another session's cookie and token, planted in
a browser, are refused on every unsafe route; signed-out forms bind to the visitor."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pyotp
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from tests.factories import PASSWORD, make_person, make_tenant
from tests.integration.web.browser_like import page_token, sign_in_by_form
from tests.integration.web.test_csrf import unsafe_routes

REFUSAL = "This page is out of date"


@pytest.fixture
async def other_browser(
    app: Litestar, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser on the same app (the `client` fixture keeps the app running)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
        yield c


def plant_cookies_except_session(source: httpx.AsyncClient, target: httpx.AsyncClient) -> None:
    """Copy every cookie but the session cookie from `source` into `target`, replacing
    `target`'s own: what an attacker who can set cookies would do to a victim."""
    for cookie in list(source.cookies.jar):
        if "session" in cookie.name:
            continue
        target.cookies.delete(cookie.name)
        target.cookies.set(cookie.name, cookie.value or "", domain="testserver.local")


async def test_another_sessions_cookie_and_token_are_refused_on_every_unsafe_route(
    app: Litestar,
    client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    db_session: AsyncSession,
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, Role.CARER, email="attacker@example.com")
    await make_person(db_session, tenant, Role.CARER, email="victim@example.com")
    await db_session.commit()
    assert (await sign_in_by_form(other_browser, "attacker@example.com")).status_code == 303
    assert (await sign_in_by_form(client, "victim@example.com")).status_code == 303
    attackers_token = page_token(await other_browser.get("/account"))
    plant_cookies_except_session(other_browser, client)

    # The victim's own page token still works beside the planted cookies…
    own = page_token(await client.get("/settings/language"))
    accepted = await client.post(
        "/settings/language", data={"locale": "en", "next": "/"}, headers={"x-csrftoken": own}
    )
    assert accepted.status_code == 303

    # …and the attacker's pair works nowhere.
    routes = unsafe_routes(app)
    assert len(routes) > 20
    let_through = []
    for method, path in routes:
        response = await client.request(
            method, path, data={"locale": "ar"}, headers={"x-csrftoken": attackers_token}
        )
        if response.status_code != 403 or REFUSAL not in response.text:
            let_through.append(f"{method} {path} → {response.status_code}")
    assert let_through == []


async def test_a_signed_out_form_refuses_another_visitors_token(
    app: Litestar, client: httpx.AsyncClient, other_browser: httpx.AsyncClient
) -> None:
    public_unsafe = [
        (method, path)
        for method, path in unsafe_routes(app)
        if any(
            handler.opt.get("public")
            for route in app.routes
            if route.path == path
            for handler in getattr(route, "route_handlers", [])
        )
    ]
    assert ("POST", "/login") in public_unsafe
    others_token = page_token(await other_browser.get("/login"))
    own_token = page_token(await client.get("/login"))
    assert others_token != own_token
    for method, path in public_unsafe:
        response = await client.request(
            method, path, data={"email": "a@example.com"}, headers={"x-csrftoken": others_token}
        )
        assert response.status_code == 403, f"{method} {path}"


async def test_the_signed_out_token_stops_working_once_signed_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, Role.CARER, email="before@example.com")
    await db_session.commit()
    visitors_token = page_token(await client.get("/login"))
    assert (await sign_in_by_form(client, "before@example.com")).status_code == 303

    response = await client.post(
        "/settings/language",
        data={"locale": "ar", "next": "/"},
        headers={"x-csrftoken": visitors_token},
    )

    assert response.status_code == 403
    assert REFUSAL in response.text


async def test_a_page_that_replaces_the_session_carries_the_new_sessions_token(
    client: httpx.AsyncClient,
) -> None:
    # Turning MFA on replaces the session in the same response that shows the recovery
    # codes; the forms on that page must work with the session it just set.
    signup = await client.get("/signup")
    created = await client.post(
        "/signup",
        data={
            "care_account": "Token Family",
            "display_name": "Tess Admin",
            "email": "tess@example.com",
            "password": PASSWORD,
        },
        headers={"x-csrftoken": page_token(signup)},
    )
    assert created.status_code == 303
    setup = await client.get("/account/mfa")
    secret = re.search(r'<code class="secret"[^>]*>([^<]+)</code>', setup.text)
    assert secret
    codes = await client.post(
        "/account/mfa",
        data={"code": pyotp.TOTP(secret.group(1).replace(" ", "")).now()},
        headers={"x-csrftoken": page_token(setup)},
    )
    assert codes.status_code == 200

    response = await client.post("/logout", headers={"x-csrftoken": page_token(codes)})

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
