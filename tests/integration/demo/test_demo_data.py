"""`tend demo`'s data: a whole care account with a week of care, loaded once."""

from __future__ import annotations

import os

from litestar import Litestar
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, Patient, PatientAccess, Tenant
from app.db.tenancy import bind_tenant
from app.domain.demo.seed import CARE_ACCOUNT, demo_password, load_demo
from app.domain.identity.services import IdentityService

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
