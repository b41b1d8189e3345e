"""The access matrix: every route × every kind of person × every kind of record.

Routes come from the app's own route table, so a new route joins the matrix by
existing. Expectations come from what the route declares (its guards and `opt`) and from
who may see which patient (DESIGN.md §3):

- anonymous: public routes answer, everything else sends to sign-in;
- `admin_only` routes refuse carers and observers (403); observers are refused every
  unsafe method (403) unless the route allows it (`observer_may_write`);
- a patient that a person may not see (another tenant's, not granted, grant expired)
  answers 404, exactly like a patient that does not exist;
- no response ever shows the name of a patient the person may not see.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.config import DatabaseSettings, Settings
from app.db.models import PatientAccess, Role, Tenant, User
from app.db.tenancy import bind_tenant
from app.domain.identity.guards import admin_only, care_writer
from tests.conftest import csrf_headers
from tests.factories import make_patient, make_person, make_tenant, sign_in

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SKIP_PATHS = {"/static/{path:path}", "/healthz", "/readyz"}
PATIENT_PARAMS = {"patient_id", "id"}
REFUSED = {401, 403}


def _route_table() -> list[tuple[str, str, dict, tuple]]:
    """(method, path, opt, guards) for every route handler of a freshly built app."""
    from app.asgi import create_app

    settings = Settings(
        database=DatabaseSettings(url="postgresql://tend_app@localhost/unused"),
        data_dir=Path(tempfile.mkdtemp(prefix="tend-matrix-")),
    )
    app = create_app(settings)
    table = []
    for route in app.routes:
        if route.path in SKIP_PATHS:
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                table.append(
                    (method, route.path, dict(handler.opt), tuple(handler.resolve_guards()))
                )
    return sorted({(m, p, tuple(sorted(o.items(), key=str)), g) for m, p, o, g in table}, key=str)


ROUTES = [(m, p, dict(o), g) for m, p, o, g in _route_table()]


@dataclass
class World:
    """Two care accounts, their people, and patients each person may or may not see."""

    home: Tenant
    away: Tenant
    people: dict[str, User | None] = field(default_factory=dict)
    tenant_of: dict[str, Tenant | None] = field(default_factory=dict)
    patients: dict[str, uuid.UUID] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    visible: dict[str, set[str]] = field(default_factory=dict)
    members: dict[str, uuid.UUID] = field(default_factory=dict)


PERSONAS = [
    "admin",
    "carer_granted",
    "carer_ungranted",
    "carer_expired",
    "observer",
    "admin_elsewhere",
    "anonymous",
]
RECORDS = ["own", "other_tenant", "ungranted"]


async def build_world(db: AsyncSession, app: Litestar) -> World:
    keyring = app.state.keyring
    home = await make_tenant(db, "Home Care Account")
    away = await make_tenant(db, "Away Care Account")
    world = World(home=home, away=away)
    roles = {
        "admin": (home, Role.ADMIN),
        "carer_granted": (home, Role.CARER),
        "carer_ungranted": (home, Role.CARER),
        "carer_expired": (home, Role.CARER),
        "observer": (home, Role.OBSERVER),
        "admin_elsewhere": (away, Role.ADMIN),
    }
    for persona, (tenant, role) in roles.items():
        world.people[persona] = await make_person(db, tenant, role, name=f"Matrix {persona}")
        world.tenant_of[persona] = tenant
    world.people["anonymous"] = None
    world.tenant_of["anonymous"] = None

    world.names = {
        "own": "Zephyrine Granted",
        "ungranted": "Quillon Ungranted",
        "other_tenant": "Octavia Elsewhere",
    }
    for record, tenant in (("own", home), ("ungranted", home), ("other_tenant", away)):
        given, family = world.names[record].split()
        patient = await make_patient(db, keyring, tenant, given=given, family=family)
        world.patients[record] = patient.id

    now = datetime.now(UTC)
    await bind_tenant(db, home.id)
    grants = {
        "carer_granted": None,
        "observer": None,
        "carer_expired": now - timedelta(days=1),
    }
    for persona, expires in grants.items():
        db.add(
            PatientAccess(
                tenant_id=home.id,
                patient_id=world.patients["own"],
                user_id=world.people[persona].id,  # type: ignore[union-attr]
                granted_by=world.people["admin"].id,  # type: ignore[union-attr]
                expires_at=expires,
            )
        )
    await db.flush()
    world.visible = {
        "admin": {"own", "ungranted"},
        "carer_granted": {"own"},
        "observer": {"own"},
        "carer_ungranted": set(),
        "carer_expired": set(),
        "admin_elsewhere": {"other_tenant"},
        "anonymous": set(),
    }
    # A member of each tenant, for routes about a person (staff pages).
    world.members = {
        "own": world.people["carer_granted"].id,  # type: ignore[union-attr]
        "ungranted": world.people["carer_ungranted"].id,  # type: ignore[union-attr]
        "other_tenant": world.people["admin_elsewhere"].id,  # type: ignore[union-attr]
    }
    await db.commit()
    return world


def _fill(path: str, world: World, record: str) -> tuple[str, bool]:
    """The path with its parameters filled for `record`; and whether it names a patient."""
    about_patient = False

    def value(match: re.Match[str]) -> str:
        nonlocal about_patient
        name, _, kind = match.group(1).partition(":")
        if name in PATIENT_PARAMS and path.startswith("/patients"):
            about_patient = True
            return str(world.patients[record])
        if name == "user_id":
            return str(world.members[record])
        if kind == "uuid" or name.endswith("_id") or name == "id":
            return str(uuid.uuid4())
        if kind == "int":
            return "1"
        return "x"

    return re.sub(r"\{([^}]+)\}", value, path), about_patient


def _expected(
    persona: str,
    method: str,
    opt: dict,
    guards: tuple,
    about_patient: bool,
    world: World,
    record: str,
) -> set[int] | None:
    """The statuses allowed for this case; None means "allowed": anything but a refusal."""
    if opt.get("public"):
        return None
    if persona == "anonymous":
        return {303}
    role = world.people[persona]
    assert role is not None
    is_admin = persona in {"admin", "admin_elsewhere"}
    if admin_only in guards and not is_admin:
        return {403}
    if persona == "observer" and method in UNSAFE and not opt.get("observer_may_write"):
        return {403}
    if care_writer in guards and persona == "observer":
        return {403}
    if about_patient and record not in world.visible[persona]:
        return {404}
    return None


@pytest.mark.parametrize(
    ("method", "path", "opt", "guards"),
    ROUTES,
    ids=[f"{m} {p}" for m, p, _, _ in ROUTES],
)
async def test_route_answers_each_person_as_designed(
    method: str,
    path: str,
    opt: dict,
    guards: tuple,
    app: Litestar,
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    connection: AsyncConnection,
) -> None:
    world = await build_world(db_session, app)
    about_a_person = re.search(r"\{user_id[:}]", path) is not None
    failures: list[str] = []
    for persona, record in [(p, r) for p in PERSONAS for r in RECORDS]:
        # Each case in a savepoint rolled back after it: a route that changes things
        # (deactivating a member, signing out) must not change the next case's world.
        savepoint = await connection.begin_nested()
        try:
            client.cookies.clear()
            user = world.people[persona]
            if user is not None:
                tenant = world.tenant_of[persona]
                assert tenant is not None
                await sign_in(client, db_session, tenant, user)
            headers = await csrf_headers(client)
            url, about_patient = _fill(path, world, record)
            response = await client.request(method, url, headers=headers, data={})
        finally:
            await savepoint.rollback()
            db_session.expunge_all()
        expected = _expected(persona, method, opt, guards, about_patient, world, record)
        about_someone_visible = about_patient and record in world.visible[persona]
        if about_a_person and expected is None and persona != "anonymous":
            # A member of another care account is invisible, like a patient.
            home = world.home if record in {"own", "ungranted"} else world.away
            expected = {404} if world.tenant_of[persona] is not home else None
            about_someone_visible = expected is None
        status = response.status_code
        case = f"{persona} {method} {url} ({record}) → {status}"
        if status >= 500:
            failures.append(f"{case}: server error")
        elif expected is None and (status in REFUSED or (status == 404 and about_someone_visible)):
            failures.append(f"{case}: refused, expected to be allowed")
        elif expected is not None and status not in expected:
            failures.append(f"{case}: expected {sorted(expected)}")
        hidden = [world.names[r] for r in RECORDS if r not in world.visible[persona]]
        for name in hidden:
            for word in name.split():
                if word in response.text:
                    failures.append(f"{case}: shows the name {word!r} it may not see")
    assert not failures, "\n".join(failures)
