"""Tend over plain http: in development (a phone on the same network) signing in works;
in production the browser is told that Tend needs HTTPS there, not "not allowed"."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.config import ServerSettings, Settings
from app.db.models import Role
from tests.conftest import _session_maker, running
from tests.factories import make_person, make_tenant
from tests.integration.web.browser_like import raw_set_cookie, sign_in_by_form

LAN_ADDRESS = "http://192.168.1.20:8000"  # how a phone on the same network reaches Tend


@pytest.fixture
async def make_lan_client(
    settings: Settings, connection: AsyncConnection
) -> AsyncIterator[Callable[[str], Awaitable[httpx.AsyncClient]]]:
    """A phone's browser on plain http, talking to Tend run with TEND_ENV=`env`."""
    from app.asgi import create_app

    async with contextlib.AsyncExitStack() as stack:

        async def make(env: str) -> httpx.AsyncClient:
            configured = dataclasses.replace(settings, server=ServerSettings(env=env))
            app: Litestar = create_app(configured, session_maker=_session_maker(connection))
            await stack.enter_async_context(running(app))
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            client = httpx.AsyncClient(transport=transport, base_url=LAN_ADDRESS)
            return await stack.enter_async_context(client)

        yield make


async def test_signing_in_over_plain_http_works_in_development(
    make_lan_client: Callable[[str], Awaitable[httpx.AsyncClient]], db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, Role.CARER, name="Phone Carer", email="lan@example.com")
    await db_session.commit()
    phone = await make_lan_client("development")

    page = await phone.get("/login")
    response = await sign_in_by_form(phone, "lan@example.com")

    assert "Signing in needs a secure connection" not in page.text
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account"
    session = raw_set_cookie(response, "tend_session")
    assert session.startswith("tend_session=")  # no __Host- prefix: it needs Secure
    assert "secure" not in session.lower()
    account = await phone.get("/account")
    assert account.status_code == 200
    assert "Phone Carer" in account.text


async def test_production_over_plain_http_says_tend_needs_https(
    make_lan_client: Callable[[str], Awaitable[httpx.AsyncClient]], db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, Role.CARER, email="prod-lan@example.com")
    await db_session.commit()
    phone = await make_lan_client("production")

    page = await phone.get("/login")
    assert "Signing in needs a secure connection" in page.text  # before typing a password
    response = await sign_in_by_form(phone, "prod-lan@example.com")

    assert response.status_code == 403
    assert "Tend needs a secure connection here" in response.text
    assert "https://" in response.text
