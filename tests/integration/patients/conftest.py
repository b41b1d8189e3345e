"""Fixtures for the patients tests: a care account with one person of each role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Role, Tenant, User
from app.db.tenancy import bind_tenant
from app.domain.keys.keyring import Keyring
from tests.conftest import csrf_headers
from tests.factories import ensure_keys, make_person, make_tenant


@dataclass
class Team:
    tenant: Tenant
    admin: User
    carer: User
    observer: User


@pytest.fixture
def keyring(app: Litestar) -> Keyring:
    """The app's own keyring: what tests seal, the app opens."""
    return app.state.keyring


@pytest.fixture
async def team(db_session: AsyncSession, keyring: Keyring) -> Team:
    tenant = await make_tenant(db_session, "Riverside Care")
    admin = await make_person(db_session, tenant, Role.ADMIN, name="Alma Admin")
    carer = await make_person(db_session, tenant, Role.CARER, name="Cara Carer")
    observer = await make_person(db_session, tenant, Role.OBSERVER, name="Otto Observer")
    await ensure_keys(db_session, keyring, tenant)
    return Team(tenant, admin, carer, observer)


async def audit_count(session: AsyncSession, tenant: Tenant, action: str, **where: Any) -> int:
    """Audit events of one action in the tenant (optionally for a patient or actor)."""
    await bind_tenant(session, tenant.id)
    statement = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.tenant_id == tenant.id, AuditEvent.action == action)
    )
    for column, value in where.items():
        statement = statement.where(getattr(AuditEvent, column) == value)
    return int(await session.scalar(statement) or 0)


async def last_audit(session: AsyncSession, tenant: Tenant, action: str) -> AuditEvent:
    await bind_tenant(session, tenant.id)
    event = await session.scalar(
        select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant.id, AuditEvent.action == action)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    assert event is not None, f"no {action} event"
    return event


NO_FILE = {"photo": ("", b"", "application/octet-stream")}


async def post_form(
    client: httpx.AsyncClient,
    url: str,
    fields: dict[str, Any],
    photo: tuple[str, bytes, str] | None = None,
) -> httpx.Response:
    """A patient form as a browser sends it: multipart, with or without a file."""
    files = {"photo": photo} if photo else NO_FILE
    return await client.post(url, data=fields, files=files, headers=await csrf_headers(client))


def comparable(html: str, path: str) -> str:
    """A page with what legitimately differs between two requests taken out: the CSRF
    token, and the request's own path (the language link returns to it)."""
    html = re.sub(r'("x-csrftoken": ")[^"]*', r"\1", html)
    html = re.sub(r'(name="_csrf_token" value=")[^"]*', r"\1", html)
    return html.replace(path, "PATH")
