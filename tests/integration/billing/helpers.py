"""Helpers for the billing tests: switching plans, and the module routes of an app."""

from __future__ import annotations

import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from litestar import Litestar
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.config import DatabaseSettings, Settings
from app.db.models import Patient, Tenant, TenantSettings, User
from app.db.tenancy import bind_tenant
from app.domain.billing.plans import includes, tiers
from tests.conftest import csrf_headers
from tests.factories import sign_in

UPGRADE_TITLE = "Not included in your plan"
# A plan tiers.json does not know includes nothing (plans.includes): what a care account
# meets for a module every plan includes.
RETIRED_PLAN = "retired"


@dataclass
class Team:
    """A care account's admin, carer and observer; the carer and observer are granted
    `patient`."""

    tenant: Tenant
    admin: User
    carer: User
    observer: User
    patient: Patient


async def set_plan(db: AsyncSession, tenant: Tenant, plan: str) -> None:
    """Put the care account on `plan`; the next request's session check reads it."""
    await bind_tenant(db, tenant.id)
    await db.execute(
        update(TenantSettings).where(TenantSettings.tenant_id == tenant.id).values(plan=plan)
    )
    await db.commit()


def plan_lacking(module: str) -> str:
    """A plan without `module`: the first of tiers.json's, else one it does not know."""
    lacking = [plan for plan in tiers().plans if not includes(plan, module)]
    return lacking[0] if lacking else RETIRED_PLAN


def module_routes(app: Litestar) -> list[tuple[str, str, str]]:
    """(method, path, module) of every route behind a module's gate (`opt["module"]`)."""
    found = {
        (method, route.path, handler.opt["module"])
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if handler.opt.get("module")
        for method in handler.http_methods - {"HEAD", "OPTIONS"}
    }
    return sorted(found)


def real_app() -> Litestar:
    """Tend's app as it is served, built only to read its route table (no database)."""
    from app.asgi import create_app

    settings = Settings(
        database=DatabaseSettings(url="postgresql://tend_app@localhost/unused"),
        data_dir=Path(tempfile.mkdtemp(prefix="tend-gating-")),
    )
    return create_app(settings)


def fill(path: str, patient_id: uuid.UUID) -> str:
    """The path with `{patient_id}` naming a patient the person may see, ids random."""

    def value(match: re.Match[str]) -> str:
        name, _, kind = match.group(1).partition(":")
        if name == "patient_id" or (name == "id" and path.startswith("/patients/")):
            return str(patient_id)
        if kind == "int":
            return "1"
        if kind == "date":
            return "2025-01-31"
        if kind == "uuid" or name == "id" or name.endswith("_id"):
            return str(uuid.uuid4())
        return "x"

    return re.sub(r"\{([^}]+)\}", value, path)


async def assert_gated(
    client: httpx.AsyncClient,
    db: AsyncSession,
    connection: AsyncConnection,
    team: Team,
    method: str,
    path: str,
    module: str,
) -> None:
    """With the care account on a plan lacking `module`, the admin and a carer granted the
    patient both meet the upgrade panel (402) at `method path`."""
    await set_plan(db, team.tenant, plan_lacking(module))
    url = fill(path, team.patient.id)
    failures = []
    for person in (team.admin, team.carer):
        # Each person in a savepoint rolled back after it, as in the access matrix.
        savepoint = await connection.begin_nested()
        try:
            client.cookies.clear()
            await sign_in(client, db, team.tenant, person)
            response = await client.request(
                method, url, headers=await csrf_headers(client), data={}
            )
        finally:
            await savepoint.rollback()
            db.expunge_all()
        if response.status_code != 402 or UPGRADE_TITLE not in response.text:
            failures.append(f"{person.display_name} {method} {url} → {response.status_code}")
    assert not failures, f"not gated by {module!r}:\n" + "\n".join(failures)
