"""Bind a database session to a tenant and user, so row-level security applies.

Each transaction sets `app.tenant_id` and `app.user_id` with `set_config(..., true)`:
transaction-local, so a pooled connection never carries one request's tenant into the
next, and safe behind a transaction-mode pooler.
"""

from __future__ import annotations

import uuid

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

TENANT_KEY = "tend.tenant_id"
USER_KEY = "tend.user_id"

_SET_CONFIG = text(
    "SELECT set_config('app.tenant_id', :tenant_id, true), "
    "set_config('app.user_id', :user_id, true)"
)


def _params(session: Session) -> dict[str, str]:
    tenant_id = session.info.get(TENANT_KEY)
    user_id = session.info.get(USER_KEY)
    return {"tenant_id": str(tenant_id or ""), "user_id": str(user_id or "")}


async def bind_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> None:
    """Scope `session` to one tenant from now on, in this and every later transaction."""
    session.info[TENANT_KEY] = tenant_id
    session.info[USER_KEY] = user_id
    if session.in_transaction():
        await session.execute(_SET_CONFIG, _params(session.sync_session))


async def bind_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Know the person but no care account yet (signing in): only their own rows show."""
    session.info[TENANT_KEY] = None
    session.info[USER_KEY] = user_id
    if session.in_transaction():
        await session.execute(_SET_CONFIG, _params(session.sync_session))


@event.listens_for(Session, "after_begin")
def _apply_binding(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    if session.info.get(TENANT_KEY) is None and session.info.get(USER_KEY) is None:
        return  # unbound: the policies match no row, so the session sees no tenant's data
    connection.execute(_SET_CONFIG, _params(session))
