"""For the operator commands' tests, which commit for real, and `tend run`'s."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.audit.committed import removed_after


@pytest.fixture
async def committed_care_accounts_removed(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    """Every care account committed during the test is deleted after it."""
    async for _ in removed_after(owner_engine):
        yield


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """A data folder for `tend run`, outside pytest's temporary root. As root, the embedded
    PostgreSQL runs as the user `pgserver`, which must reach the folder; pytest makes its
    root private again whenever another run starts, locking PostgreSQL out mid-test."""
    folder = Path(tempfile.mkdtemp(prefix="tend-run-"))
    try:
        yield folder / "data"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
