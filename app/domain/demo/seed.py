"""The demo care account: its people, three patients, and a week of their care.

Loaded once: a second `tend demo` finds the demo administrator and adds nothing. The
people sign in with the password printed by `tend demo`; the administrator sets up
two-step sign-in at the first sign-in, like every administrator. Once loaded, the
worker's checks run once, so the alerts the week's records call for are open from the
start (the worker keeps raising them every minute after).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, PatientAccess, Role, TenantSettings, User
from app.db.models.base import new_id
from app.db.tenancy import bind_tenant
from app.domain.audit.actions import TENANT_CREATE
from app.domain.audit.services import append
from app.domain.care_notes.demo import seed_demo as seed_notes
from app.domain.identity.services import IdentityService
from app.domain.jobs.checks import CHECKS
from app.domain.keys.keyring import Keyring
from app.domain.medications.demo import seed_demo as seed_medications
from app.domain.patients.codec import PatientIdentity
from app.domain.patients.services import insert_patient
from app.domain.tasks.demo import seed_demo as seed_tasks
from app.domain.vitals.demo import seed_demo as seed_vitals
from app.lib.passwords import hash_password

CARE_ACCOUNT = "Riverside Home Care (demo)"
TIME_ZONE = "Europe/London"
ADMIN = ("Dana Okafor", "demo-admin@example.com")
PEOPLE = (
    ("Sam Carter", "demo-carer@example.com", Role.CARER),
    ("Priya Nair", "demo-carer2@example.com", Role.CARER),
    ("Leo Ellis", "demo-family@example.com", Role.OBSERVER),
)
PATIENTS = (
    PatientIdentity("Margaret", "Ellis", "Peggy", date(1938, 4, 2)),
    PatientIdentity("Harold", "Brennan", "", date(1941, 9, 17)),
    PatientIdentity("Amina", "Yusuf", "", date(1950, 1, 23)),
)
# Who may see whom: (person index in PEOPLE, patient indexes).
GRANTS = ((0, (0, 1)), (1, (1, 2)), (2, (0,)))


@dataclass(frozen=True)
class DemoLogins:
    care_account: str
    created: bool
    logins: list[tuple[str, str, str]]  # (role, name, email)
    password: str
    admin_has_two_step: bool = False
    """Whether the administrator has set up two-step sign-in already (a later start)."""


def demo_password(secret_key: str) -> str:
    """The demo's one shared password: derived from this installation's secret key, so it
    is the same at every `tend demo` (and can be printed again) yet no other Tend's."""
    digest = hmac.new(secret_key.encode(), b"tend demo password", hashlib.sha256).digest()
    letters = base64.b32encode(digest[:10]).decode().lower()
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4))


def _logins(created: bool, password: str, admin_has_two_step: bool = False) -> DemoLogins:
    logins = [("admin", ADMIN[0], ADMIN[1])]
    logins += [(str(role), name, email) for name, email, role in PEOPLE]
    return DemoLogins(CARE_ACCOUNT, created, logins, password, admin_has_two_step)


_ADMIN_LOOKUP = text("SELECT id, mfa_enabled FROM tend_user_for_login(:email)")


async def load_demo(db: AsyncSession, keyring: Keyring, secret_key: str) -> DemoLogins:
    """Create the demo care account with a week of records, unless it is already there.
    Commits."""
    password = demo_password(secret_key)
    admin = (await db.execute(_ADMIN_LOOKUP, {"email": ADMIN[1]})).first()
    if admin is not None:
        return _logins(created=False, password=password, admin_has_two_step=admin.mfa_enabled)
    identity = IdentityService(db, secret="", keyring=keyring)
    tenant_id, admin_id = await identity.sign_up(CARE_ACCOUNT, ADMIN[0], ADMIN[1], password)
    await db.execute(
        update(TenantSettings)
        .where(TenantSettings.tenant_id == tenant_id)
        .values(time_zone=TIME_ZONE)
    )
    hashed = await hash_password(password)
    people: list[uuid.UUID] = []
    for name, email, role in PEOPLE:
        person = new_id()
        await bind_tenant(db, tenant_id, person)
        db.add(User(id=person, email=email, display_name=name, password_hash=hashed))
        await db.flush()
        db.add(Membership(tenant_id=tenant_id, user_id=person, role=role))
        people.append(person)
    await bind_tenant(db, tenant_id, admin_id)
    await db.flush()
    patients = [
        (await insert_patient(db, keyring, tenant_id, admin_id, identity)).id
        for identity in PATIENTS
    ]
    for person, shown in GRANTS:
        for index in shown:
            db.add(
                PatientAccess(
                    tenant_id=tenant_id,
                    patient_id=patients[index],
                    user_id=people[person],
                    granted_by=admin_id,
                )
            )
    await db.flush()
    carers = [p for p, (_, _, role) in zip(people, PEOPLE, strict=True) if role == Role.CARER]
    now = datetime.now(UTC)
    for seed in (seed_notes, seed_medications, seed_vitals, seed_tasks):
        await seed(db, tenant_id, patients, carers, now)
    await db.flush()
    for _schedule, check in CHECKS.values():
        await check(db, tenant_id, now)
    await append(
        db, tenant_id, None, TENANT_CREATE, "tenant", object_id=tenant_id,
        detail={"via": "demo", "admin_id": str(admin_id)},
    )  # fmt: skip
    await db.commit()
    return _logins(created=True, password=password)
