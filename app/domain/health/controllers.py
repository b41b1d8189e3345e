"""`/healthz` (the process answers) and `/readyz` (it can serve: database ready)."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_READINESS = text(
    "SELECT current_setting('fsync') AS fsync, "
    "current_setting('synchronous_commit') AS synchronous_commit, "
    "(SELECT version_num FROM alembic_version LIMIT 1) AS revision"
)
# A database that does not answer (frozen, out of disk, a lock held) is not ready either:
# the probe gets 503 in time instead of waiting with every request behind it.
ANSWER_WITHIN = 5.0  # seconds


class HealthController(Controller):
    include_in_schema = False
    opt: ClassVar[dict[str, Any]] = {"public": True, "sessionless": True}

    @get("/healthz", sync_to_thread=False)
    def healthz(self) -> dict[str, str]:
        """Alive: the process runs and answers."""
        return {"status": "ok"}

    @get("/readyz")
    async def readyz(
        self, request: Request, db_session: NamedDependency[AsyncSession]
    ) -> Response[dict[str, Any]]:
        """Ready: the database answers, migrations are at head, and writes are durable."""
        head = request.app.state.migration_head
        checks: dict[str, Any] = {}
        try:
            async with asyncio.timeout(ANSWER_WITHIN):
                row = (await db_session.execute(_READINESS)).mappings().one()
        except TimeoutError:
            checks["database"] = f"unreachable: no answer within {ANSWER_WITHIN:g} s"
        except Exception as exc:  # any failure to reach the database means not ready
            checks["database"] = f"unreachable: {type(exc).__name__}"
        else:
            checks["database"] = "ok"
            checks["migrations"] = (
                "ok" if row["revision"] == head else (f"at {row['revision']}, head is {head}")
            )
            checks["fsync"] = "ok" if row["fsync"] == "on" else row["fsync"]
            checks["synchronous_commit"] = (
                "ok"
                if row["synchronous_commit"] in ("on", "remote_write", "remote_apply")
                else row["synchronous_commit"]
            )
        ready = all(value == "ok" for value in checks.values())
        return Response(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )
