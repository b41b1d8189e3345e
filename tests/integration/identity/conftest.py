"""A second browser for the identity tests: one person on two devices, or two people."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar


@pytest.fixture
async def other_client(
    app: Litestar, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same app (which `client` has started), with its own cookies."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
        yield c
