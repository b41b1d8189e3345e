"""The baseline: the least each benchmarked page can cost on Tend's own stack.

Bare Litestar, a raw asyncpg pool, and Tend's Jinja environment and templates. No
middleware, plugins, dependency injection or ORM session: each handler runs the queries
Tend's page runs and renders the template it renders. What Tend spends beyond this is
what its layers cost. Started by the harness as
`uvicorn bench.baseline_app:create_app --factory` with DATABASE_URL set to the app role
and TEND_MASTER_KEY set to Tend's.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import asyncpg
from jinja2 import Environment
from litestar import Litestar, MediaType, Request, get
from litestar.datastructures import State

from app.config import plain_url
from app.domain.patients.dates import show_day
from app.lib.crypto import MasterKeys, field_context, key_version, open_sealed, parse_key
from app.lib.templates import make_environment

# The shape of a Litestar CSRF token (64 random hex digits and a 64-digit HMAC), so the
# page has the same size as Tend's; one per process, as a returning visitor's would be.
CSRF_TOKEN = secrets.token_hex(64)

# Tend's per-worker pool: pool_size 10 plus max_overflow 10 (app/config.py).
POOL_MAX_SIZE = 20
PAGE_SIZE = 50
TENANT_HEADER = "x-bench-tenant"


def environment() -> Environment:
    env = make_environment()
    env.globals["csrf_token"] = lambda: CSRF_TOKEN
    return env


@get("/", media_type=MediaType.HTML)
async def home(request: Request, state: State) -> str:
    """Tend's home page: `TenantService.any_exist()` and home/page.html."""
    has_tenants = await state.pool.fetchval("SELECT EXISTS (SELECT 1 FROM tenants)")
    return state.templates.get_template("home/page.html").render(
        request=request, has_tenants=has_tenants
    )


# -- The patient list ----------------------------------------------------------------------


@dataclass(frozen=True)
class ListScope:
    """What the page templates read from `request.scope["auth"]` (Tend's AccessScope)."""

    tenant_name: str
    is_admin: bool = True
    mfa_pending: bool = False
    must_enrol_mfa: bool = False


@dataclass(frozen=True)
class TenantData:
    scope: ListScope
    keys: dict[int, bytes]
    """The tenant's data keys by version, unwrapped."""


# The statement Tend's PatientRepository.page() sends for an admin's first page.
LIST_PATIENTS = """
    SELECT tenant_id, id, given_name, family_name, preferred_name, date_of_birth, archived_at
      FROM patients
     WHERE tenant_id = $1 AND archived_at IS NULL
     ORDER BY id DESC
     LIMIT $2
"""


async def _bind(state: State, conn: asyncpg.Connection, tenant_id: uuid.UUID) -> None:
    """Session-level `app.tenant_id`, set once per pooled connection and tenant: after
    that, the list is one round trip. (The pool keeps the setting: its reset does not
    run RESET ALL, see `patients_pool`.)"""
    pid = conn.get_server_pid()
    if state.bound.get(pid) != tenant_id:
        await conn.execute("SELECT set_config('app.tenant_id', $1, false)", str(tenant_id))
        state.bound[pid] = tenant_id


async def _tenant(state: State, conn: asyncpg.Connection, tenant_id: uuid.UUID) -> TenantData:
    """The tenant's name and unwrapped data keys, read once per process on its first
    request (tenants are seeded after the servers start) and kept, as Tend's keyring
    keeps keys."""
    found = state.tenants.get(tenant_id)
    if found is None:
        name = await conn.fetchval("SELECT name FROM tenants WHERE id = $1", tenant_id)
        rows = await conn.fetch(
            "SELECT version, wrapped, wrapped_by FROM tenant_keys "
            "WHERE tenant_id = $1 AND purpose = 'data'",
            tenant_id,
        )
        keys = {
            row["version"]: state.master.unwrap(
                row["wrapped"], row["wrapped_by"], tenant_id, row["version"], "data"
            )
            for row in rows
        }
        found = state.tenants[tenant_id] = TenantData(ListScope(tenant_name=name), keys)
    return found


def _open(
    keys: dict[int, bytes],
    sealed: bytes | None,
    tenant_id: uuid.UUID,
    column: str,
    row_id: uuid.UUID,
) -> str:
    """One field in clear: the key its header names, the context of its very place."""
    if sealed is None:
        return ""
    context = field_context(tenant_id, "patients", column, row_id)
    return open_sealed(keys[key_version(sealed)], sealed, context).decode()


@get("/patients", media_type=MediaType.HTML)
async def patients(request: Request, state: State) -> str:
    """Tend's patient list for an admin (GET /patients): one query, the same fields
    decrypted with the same crypto, patients/list.html with the same context."""
    tenant_id = uuid.UUID(request.headers[TENANT_HEADER])
    async with state.patients_pool.acquire() as conn:
        await _bind(state, conn, tenant_id)
        tenant = await _tenant(state, conn, tenant_id)
        found = await conn.fetch(LIST_PATIENTS, tenant_id, PAGE_SIZE + 1)
    shown = found[:PAGE_SIZE]
    keys = tenant.keys
    rows = []
    for row in shown:
        patient_id = row["id"]
        given = _open(keys, row["given_name"], tenant_id, "given_name", patient_id)
        family = _open(keys, row["family_name"], tenant_id, "family_name", patient_id)
        preferred = _open(keys, row["preferred_name"], tenant_id, "preferred_name", patient_id)
        born = _open(keys, row["date_of_birth"], tenant_id, "date_of_birth", patient_id)
        rows.append(
            {
                "id": str(patient_id),
                "name": f"{preferred or given} {family}".strip(),
                "born": show_day(date.fromisoformat(born)) if born else None,
                "archived": row["archived_at"] is not None,
            }
        )
    next_after = shown[-1]["id"] if len(found) > PAGE_SIZE else None
    context: dict[str, Any] = {
        "q": "",
        "archived": False,
        "searching": False,
        "rows": rows,
        "next_url": f"/patients?{urlencode({'after': str(next_after)})}" if next_after else None,
        "first_url": None,
    }
    request.scope["auth"] = tenant.scope  # type: ignore[typeddict-unknown-key]
    return state.templates.get_template("patients/list.html").render(request=request, **context)


@get("/readyz", media_type=MediaType.TEXT)
async def readyz(state: State) -> str:
    await state.pool.fetchval("SELECT 1")
    return "ready"


async def _keep_session_settings(_conn: asyncpg.Connection) -> None:
    """Instead of asyncpg's default reset on release (one more round trip, whose RESET
    ALL would also drop the tenant binding): an open transaction is still rolled back
    by asyncpg itself before this runs."""


@asynccontextmanager
async def pool(app: Litestar) -> AsyncIterator[None]:
    url = plain_url(os.environ["DATABASE_URL"])
    app.state.pool = await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=POOL_MAX_SIZE,
        server_settings={"application_name": "tend-bench-baseline"},
    )

    async def forget_binding(conn: asyncpg.Connection) -> None:
        # A new connection (perhaps with a reused backend pid) is bound to no tenant yet.
        app.state.bound.pop(conn.get_server_pid(), None)

    # The patient pages' own pool: connections keep their tenant binding between requests.
    app.state.patients_pool = await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=POOL_MAX_SIZE,
        init=forget_binding,
        reset=_keep_session_settings,
        server_settings={"application_name": "tend-bench-baseline"},
    )
    try:
        yield
    finally:
        await app.state.patients_pool.close()
        await app.state.pool.close()


def create_app() -> Litestar:
    master = os.environ.get("TEND_MASTER_KEY", "")
    return Litestar(
        route_handlers=[home, patients, readyz],
        lifespan=[pool],
        state=State(
            {
                "templates": environment(),
                "master": MasterKeys(current=parse_key(master, "TEND_MASTER_KEY"))
                if master
                else None,
                "tenants": {},
                "bound": {},
            }
        ),
        openapi_config=None,
        debug=False,
    )
