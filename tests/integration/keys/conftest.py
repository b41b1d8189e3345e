"""Sessions as the app role that commit for real: rotation spans many transactions.
What a test commits is removed after it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.integration.audit.committed import removed_after


@pytest.fixture(autouse=True)
async def committed_care_accounts_removed(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    async for _ in removed_after(owner_engine):
        yield


@pytest.fixture
async def sessions(app_engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield async_sessionmaker(app_engine, expire_on_commit=False)
