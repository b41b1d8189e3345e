"""PostgreSQL unreachable: every request that needs it answers 503 ("try again"), a write
saying it was not saved, never a 500 that looks like a bug."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from app.config import Settings
from app.db.models.base import new_id
from app.lib import session_tokens
from tests.conftest import SESSION_COOKIE, csrf_headers, running

HTMX = {"HX-Request": "true"}


def _closed_port() -> int:
    """A loopback port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def unreachable(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app pointed at a database that is not there, with a signed-in person's cookie."""
    from app.asgi import create_app

    url = f"postgresql://tend_app@127.0.0.1:{_closed_port()}/tend"
    app: Litestar = create_app(replace(settings, database=replace(settings.database, url=url)))
    async with running(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
            claims = session_tokens.SessionClaims(new_id(), new_id(), new_id())
            expires = datetime.now(UTC) + timedelta(hours=1)
            token = session_tokens.encode(claims, os.environ["TEND_SECRET_KEY"], expires)
            c.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
            yield c


async def test_a_page_while_the_database_is_down_is_a_503_to_try_again(
    unreachable: httpx.AsyncClient,
) -> None:
    response = await unreachable.get("/today")
    assert response.status_code == 503
    assert "Tend is not available just now" in response.text
    assert "Please try again in a moment." in response.text


async def test_a_write_while_the_database_is_down_says_not_saved(
    unreachable: httpx.AsyncClient,
) -> None:
    headers = await csrf_headers(unreachable)
    url = f"/patients/{new_id()}/notes"
    fields = {"category": "general", "text": "Slept well."}
    page = await unreachable.post(url, data=fields, headers=headers)
    assert page.status_code == 503
    assert "Not saved — please try again" in page.text
    partial = await unreachable.post(url, data=fields, headers=headers | HTMX)
    assert partial.status_code == 503
    assert partial.headers["hx-retarget"] == "#toasts"
    assert "Not saved — please try again" in partial.text
    assert "hx-trigger" not in partial.headers
