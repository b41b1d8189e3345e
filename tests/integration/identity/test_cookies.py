"""The session cookie lasts as long as its session; over HTTPS every cookie is `__Host-`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from tests.factories import make_person, make_tenant
from tests.integration.web.browser_like import page_token, raw_set_cookie, sign_in_by_form

SESSION_HOURS = 12  # a new care account's session lifetime


def _attributes(header: str) -> dict[str, str]:
    """A Set-Cookie header's attributes, lower-cased names (flags map to "")."""
    parts = [part.strip() for part in header.split(";")[1:]]
    return {
        name.strip().lower(): value.strip()
        for name, _, value in (part.partition("=") for part in parts if part)
    }


async def test_the_session_cookie_expires_when_the_session_does(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, Role.CARER, email="lifetime@example.com")
    await db_session.commit()

    before = datetime.now(UTC)
    response = await sign_in_by_form(client, "lifetime@example.com")
    after = datetime.now(UTC)

    assert response.status_code == 303
    attributes = _attributes(raw_set_cookie(response, "tend_session"))
    lifetime = timedelta(hours=SESSION_HOURS)
    # Seconds from now, not a timestamp: the cookie must not outlive the session.
    max_age = int(attributes["max-age"])
    assert lifetime - timedelta(minutes=1) <= timedelta(seconds=max_age) <= lifetime
    expires = parsedate_to_datetime(attributes["expires"])
    assert before + lifetime - timedelta(minutes=1) <= expires
    assert expires <= after + lifetime + timedelta(minutes=1)


async def test_cookies_over_https_are_host_only_and_secure(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, Role.CARER, email="hosted@example.com")
    await db_session.commit()

    first_page = await client.get("/login")
    signed_in = await sign_in_by_form(client, "hosted@example.com")
    language = await client.post(
        "/settings/language",
        data={"locale": "ar", "next": "/"},
        headers={"x-csrftoken": page_token(await client.get("/settings/language"))},
    )

    for response, base in (
        (first_page, "tend_csrf"),
        (signed_in, "tend_session"),
        (language, "tend_locale"),
    ):
        header = raw_set_cookie(response, base)
        name = next(iter(SimpleCookie(header)))
        attributes = _attributes(header)
        assert name == f"__Host-{base}"
        assert "secure" in attributes
        assert attributes.get("path") == "/"
        assert "domain" not in attributes
