"""Fixed-window request limits per key (e.g. per client address), counted in PostgreSQL."""

from __future__ import annotations

import random

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.lib.unit_of_work import commit

_HIT = text(
    """
    INSERT INTO rate_limits AS r (key, window_start, hits)
    VALUES (:key, to_timestamp(floor(extract(epoch FROM now()) / :window) * :window), 1)
    ON CONFLICT (key, window_start) DO UPDATE SET hits = r.hits + 1
    RETURNING hits
    """
)
_FORGET = text("DELETE FROM rate_limits WHERE window_start < now() - interval '1 day'")


async def allow(db: AsyncSession, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key`; False once the window has had more than `limit`.

    The count is committed at once, so a refused or failed request still counts.
    """
    hits = (await db.execute(_HIT, {"key": key, "window": window_seconds})).scalar_one()
    if random.random() < 0.01:  # noqa: S311 — housekeeping, not security
        await db.execute(_FORGET)
    await commit(db)
    return hits <= limit
