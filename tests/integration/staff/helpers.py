"""Small helpers shared by the staff tests."""

from __future__ import annotations

import re
import uuid
from html import unescape

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_tenant

LINK = re.compile(r'value="(https://testserver\.local/invites/([0-9a-f-]{36})\.([^"]+))"')
MEMBER_LINK = re.compile(r'href="/staff/([0-9a-f-]{36})"')


def invite_link(page: str) -> tuple[str, str]:
    """(path, raw token) of the invite link shown on the 'invitation ready' page."""
    match = LINK.search(page)
    assert match, "no invite link on the page"
    url, _tenant, token = match.groups()
    return unescape(url).removeprefix("https://testserver.local"), unescape(token)


def member_ids(page: str) -> list[uuid.UUID]:
    """The members listed on a staff page, in order."""
    return [uuid.UUID(found) for found in MEMBER_LINK.findall(page)]


def link_with_rel(page: str, rel: str) -> str | None:
    match = re.search(rf'href="([^"]+)" rel="{rel}"', page)
    return unescape(match.group(1)) if match else None


async def audit_actions(db: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    await bind_tenant(db, tenant_id)
    rows = await db.execute(
        text("SELECT action FROM audit_events WHERE tenant_id = :t ORDER BY seq"),
        {"t": tenant_id},
    )
    return [row.action for row in rows]
