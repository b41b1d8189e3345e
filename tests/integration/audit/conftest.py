"""The audit chain tests commit for real; what they commit is removed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.audit.committed import removed_after


@pytest.fixture(autouse=True)
async def committed_care_accounts_removed(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    async for _ in removed_after(owner_engine):
        yield
