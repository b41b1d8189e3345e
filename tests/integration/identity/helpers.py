"""Helpers for the identity tests: signing in through the form, reading the session
cookie, and rows committed for real (for tests that need more than one connection)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.lib import session_tokens
from tests.conftest import SESSION_COOKIE, csrf_headers
from tests.factories import PASSWORD

_FORM_ERROR = re.compile(r'<div class="notice notice--error" role="alert">.*?<p>(.*?)</p>', re.S)
_FIELD_ERROR = re.compile(
    r'<p class="field-error" id="error-([\w-]+)" role="alert">(.*?)</p>', re.S
)


async def submit_login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    """POST the sign-in form as a browser would."""
    return await client.post(
        "/login",
        data={"email": email, "password": password, "next": next_path},
        headers=await csrf_headers(client),
    )


def form_error(response: httpx.Response) -> str | None:
    """The message shown above the form, if any."""
    found = _FORM_ERROR.search(response.text)
    return html.unescape(found.group(1).strip()) if found else None


def field_errors(response: httpx.Response) -> dict[str, str]:
    """Field name → the message shown beside it."""
    return {
        name: html.unescape(message.strip())
        for name, message in _FIELD_ERROR.findall(response.text)
    }


def input_value(response: httpx.Response, name: str) -> str | None:
    """The value an input was rendered with (what the user typed, kept)."""
    for tag in re.findall(r"<input\b[^>]*>", response.text, re.S):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            return html.unescape(value.group(1)) if value else None
    return None


def session_set_cookie(response: httpx.Response) -> str | None:
    """The raw Set-Cookie header that sets the session cookie, if the response has one."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{SESSION_COOKIE}="):
            return header
    return None


def session_token(client: httpx.AsyncClient) -> str | None:
    return client.cookies.get(SESSION_COOKIE)


def use_token(client: httpx.AsyncClient, token: str) -> None:
    """Present `token` as the session cookie from now on (as a copied cookie would be)."""
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")


def claims_of(token: str, secret: str) -> session_tokens.SessionClaims:
    claims = session_tokens.decode(token, secret)
    assert claims is not None, "the app issued a token it cannot read"
    return claims


def is_sent_to_sign_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login?")


# -- Rows committed for real -------------------------------------------------------------

_TENANT_TABLES = text(
    """
    SELECT c.relname
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND a.attname = 'tenant_id' AND NOT a.attisdropped
    """
)
_FOREIGN_KEYS = text(
    """
    SELECT child.relname AS child, parent.relname AS parent
      FROM pg_constraint k
      JOIN pg_class child ON child.oid = k.conrelid
      JOIN pg_class parent ON parent.oid = k.confrelid
     WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace
    """
)


def _children_first(tables: set[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    parents: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in edges:
        if child in tables and parent in tables and child != parent:
            parents[child].add(parent)
    order: list[str] = []
    remaining = set(tables)
    while remaining:
        # A table may go once nothing left still points at it.
        free = sorted(t for t in remaining if not any(t in parents[o] for o in remaining))
        if not free:  # a cycle: delete the rest in any order and let the database say
            free = sorted(remaining)
        order.extend(free)
        remaining -= set(free)
    return order


async def purge(
    owner_engine: AsyncEngine, tenant_ids: Iterable[uuid.UUID], user_ids: Iterable[uuid.UUID] = ()
) -> None:
    """Remove committed tenants and people, with every tenant-owned row they have.

    As the owner: row-level security is forced on the owner too, so each tenant's rows
    are deleted with the transaction bound to that tenant.
    """
    async with owner_engine.begin() as conn:
        tables = set((await conn.scalars(_TENANT_TABLES)).all())
        edges = [(row.child, row.parent) for row in await conn.execute(_FOREIGN_KEYS)]
        order = _children_first(tables, edges)
        for tenant_id in tenant_ids:
            await conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            for table in order:
                await conn.execute(
                    text(f'DELETE FROM "{table}" WHERE tenant_id = :t'), {"t": tenant_id}
                )
            await conn.execute(text("DELETE FROM tenants WHERE id = :t"), {"t": tenant_id})
        for user_id in user_ids:
            await conn.execute(
                text("DELETE FROM mfa_recovery_codes WHERE user_id = :u"), {"u": user_id}
            )
            await conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})
