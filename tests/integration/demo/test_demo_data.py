"""`tend demo`'s data: a whole care account with a week of care, loaded once."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from litestar import Litestar
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli._demo import how_to_sign_in
from app.db.models import Membership, Patient, PatientAccess, Tenant, User
from app.db.models.alerts import Alert
from app.db.models.medications import Medication, MedicationAdministration
from app.db.tenancy import bind_tenant
from app.domain.alerts.kinds import Kind
from app.domain.demo.seed import ADMIN, CARE_ACCOUNT, demo_password, load_demo
from app.domain.identity.services import IdentityService
from app.domain.medications.checks import raise_unrecorded_doses
from app.domain.tasks.checks import raise_overdue_tasks

# The installation's own key, as `tend demo` uses it: a browser test may have loaded the
# demo into this run's database already, with this very password.
SECRET = os.environ["TEND_SECRET_KEY"]


async def _count(db: AsyncSession, model: type, tenant_id) -> int:  # type: ignore[no-untyped-def]
    return int(
        await db.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id))
        or 0
    )


async def test_demo_loads_a_care_account_once(db_session: AsyncSession, app: Litestar) -> None:
    first = await load_demo(db_session, app.state.keyring, SECRET)
    again = await load_demo(db_session, app.state.keyring, SECRET)

    # The first call creates the demo unless an earlier test of this run committed it.
    assert again.created is False
    assert again.logins == first.logins
    assert again.password == first.password == demo_password(SECRET)
    tenants = (await db_session.scalars(select(Tenant.id).where(Tenant.name == CARE_ACCOUNT))).all()
    assert len(tenants) == 1
    tenant_id = tenants[0]
    await bind_tenant(db_session, tenant_id)
    assert await _count(db_session, Membership, tenant_id) == 4
    assert await _count(db_session, Patient, tenant_id) == 3
    assert await _count(db_session, PatientAccess, tenant_id) == 5
    for table in ("care_notes", "medications", "vitals_observations", "care_tasks"):
        rows = await db_session.scalar(
            text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": tenant_id}
        )
        assert rows, f"the demo has no {table}"


async def test_the_demo_people_sign_in_with_the_printed_password(
    db_session: AsyncSession, app: Litestar
) -> None:
    demo = await load_demo(db_session, app.state.keyring, SECRET)
    identity = IdentityService(db_session, secret="", keyring=app.state.keyring)

    for _role, _name, email in demo.logins:
        outcome = await identity.sign_in(email, demo.password, "127.0.0.1")
        assert outcome.user_id is not None, email


def test_each_installation_has_its_own_demo_password() -> None:
    assert demo_password("one installation") != demo_password("another installation")
    assert len(demo_password("x")) == 19


async def _demo_tenant(db: AsyncSession, app: Litestar):  # type: ignore[no-untyped-def]
    await load_demo(db, app.state.keyring, SECRET)
    tenant_id = await db.scalar(select(Tenant.id).where(Tenant.name == CARE_ACCOUNT))
    await bind_tenant(db, tenant_id)
    return tenant_id


async def test_the_demo_starts_with_open_alerts_raised_by_the_rules(
    db_session: AsyncSession, app: Litestar
) -> None:
    """A missed dose (the worker's dose check) and the worsening patient's NEWS2 (the
    vitals rule), raised as the real rules raise them, keyed by their causes, and open.
    (Overdue tasks are raised too when the week's random draw left one in the last day.)"""
    tenant_id = await _demo_tenant(db_session, app)
    rows = await db_session.execute(
        select(Alert.kind, Alert.dedupe_key).where(
            Alert.tenant_id == tenant_id, Alert.resolved_at.is_(None)
        )
    )
    kinds = {}
    for kind, key in rows:
        kinds.setdefault(kind, []).append(key)
    assert any(k.startswith("dose-unrecorded:") for k in kinds.get(Kind.DOSE_UNRECORDED, []))
    assert kinds.get(Kind.NEWS2_MEDIUM), kinds.keys()


async def test_the_demo_s_medicines_were_entered_before_their_doses(
    db_session: AsyncSession, app: Litestar
) -> None:
    """The missed-dose check leaves alone a dose due before its medicine was entered:
    demo medicines entered at load time would never raise one for the day so far."""
    tenant_id = await _demo_tenant(db_session, app)
    early = await db_session.scalar(
        select(func.count())
        .select_from(MedicationAdministration)
        .join(
            Medication,
            (Medication.tenant_id == MedicationAdministration.tenant_id)
            & (Medication.id == MedicationAdministration.medication_id),
        )
        .where(
            Medication.tenant_id == tenant_id,
            MedicationAdministration.scheduled_for < Medication.created_at,
        )
    )
    assert early == 0
    assert await _count(db_session, Medication, tenant_id)


async def test_the_demo_s_worker_check_raises_nothing_twice(
    db_session: AsyncSession, app: Litestar
) -> None:
    """The worker's first run after `tend demo` finds every cause raised already."""
    tenant_id = await _demo_tenant(db_session, app)
    # At the moment the demo was loaded, not a while later: a dose window that closes in
    # between is a new, rightful alert (the run that met 22:00 found the 21:00 round).
    now = await db_session.scalar(select(Tenant.created_at).where(Tenant.id == tenant_id))
    assert now is not None
    assert await raise_unrecorded_doses(db_session, tenant_id, now) == 0
    assert await raise_overdue_tasks(db_session, tenant_id, now) == 0


async def test_a_later_start_says_what_the_administrator_s_sign_in_asks_for_now(
    db_session: AsyncSession, app: Litestar
) -> None:
    tenant_id = await _demo_tenant(db_session, app)
    await db_session.execute(update(User).where(User.email == ADMIN[1]).values(mfa_enabled_at=None))
    before = await load_demo(db_session, app.state.keyring, SECRET)
    assert before.admin_has_two_step is False
    assert "sets up two-step sign-in" in how_to_sign_in(before)[-1]

    await bind_tenant(db_session, tenant_id)
    await db_session.execute(
        update(User).where(User.email == ADMIN[1]).values(mfa_enabled_at=datetime.now(UTC))
    )
    again = await load_demo(db_session, app.state.keyring, SECRET)
    assert again.admin_has_two_step is True
    said = "\n".join(how_to_sign_in(again))
    assert "sets up two-step sign-in" not in said
    assert "code from their authenticator app" in said
    assert again.password in said
