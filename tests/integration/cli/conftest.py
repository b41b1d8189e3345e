"""For the operator commands' tests, which commit for real (not `tend run`'s test)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.audit.committed import removed_after


@pytest.fixture
async def committed_care_accounts_removed(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    """Every care account committed during the test is deleted after it."""
    async for _ in removed_after(owner_engine):
        yield
