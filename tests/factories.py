"""Valid objects in one line, for tests: `tenant = await make_tenant(session)`."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pyotp
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    Membership,
    Patient,
    PatientAccess,
    Role,
    Session,
    Tenant,
    TenantKey,
    TenantSettings,
    User,
)
from app.db.models.base import new_id
from app.db.tenancy import bind_tenant
from app.domain.identity.access import AccessScope
from app.domain.identity.mfa import seal_secret
from app.domain.keys.keyring import Keyring
from app.domain.patients.codec import PatientIdentity
from app.domain.patients.services import insert_patient
from app.lib import session_tokens
from app.lib.cookies import HOST_PREFIX
from app.lib.crypto import parse_key
from app.lib.passwords import hasher

_sequence = itertools.count(1)
PASSWORD = "correct horse battery staple"


def _mfa_key() -> bytes:
    return parse_key(os.environ["TEND_MFA_KEY"], "TEND_MFA_KEY")


async def make_tenant(session: AsyncSession, name: str | None = None) -> Tenant:
    """A care account with its settings row; leaves `session` bound to it."""
    tenant = Tenant(id=new_id(), name=name or f"Care account {next(_sequence)}")
    session.add(tenant)
    await session.flush()
    await bind_tenant(session, tenant.id)
    session.add(TenantSettings(tenant_id=tenant.id))
    await session.flush()
    return tenant


async def make_person(
    session: AsyncSession,
    tenant: Tenant,
    role: Role | str = Role.CARER,
    *,
    name: str | None = None,
    email: str | None = None,
    status: str = "active",
    mfa: bool | None = None,
) -> User:
    """A person with a membership in `tenant`. Admins get MFA switched on unless told not
    to (an admin without MFA is sent to set it up before anything else)."""
    number = next(_sequence)
    user = User(
        id=new_id(),
        email=email or f"person{number}@example.com",
        display_name=name or f"Person {number}",
        password_hash=hasher().hash(PASSWORD),
    )
    if mfa if mfa is not None else Role(role) == Role.ADMIN:
        secret = pyotp.random_base32()
        user.mfa_secret = seal_secret(_mfa_key(), user.id, secret)
        user.mfa_enabled_at = datetime.now(UTC)
        user.totp_secret = secret  # type: ignore[attr-defined]  # for tests that sign in by code
    await bind_tenant(session, tenant.id, user.id)
    session.add(user)
    await session.flush()
    session.add(
        Membership(tenant_id=tenant.id, user_id=user.id, role=str(Role(role)), status=status)
    )
    await session.flush()
    return user


async def sign_in(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant: Tenant,
    user: User,
    *,
    mfa_verified: bool = True,
    expires_in: timedelta = timedelta(hours=12),
) -> uuid.UUID:
    """Give `client` a session cookie for `user` in `tenant`, as signing in would.
    Commits (the app reads the session in its own savepoint)."""
    await bind_tenant(session, tenant.id, user.id)
    row = Session(
        id=new_id(),
        tenant_id=tenant.id,
        user_id=user.id,
        expires_at=datetime.now(UTC) + expires_in,
        mfa_verified_at=datetime.now(UTC) if mfa_verified else None,
    )
    session.add(row)
    await session.commit()
    claims = session_tokens.SessionClaims(user.id, tenant.id, row.id)
    token = session_tokens.encode(claims, os.environ["TEND_SECRET_KEY"], row.expires_at)
    client.cookies.set(HOST_PREFIX + session_tokens.COOKIE, token, domain="testserver.local")
    return row.id


def totp_now(secret: str) -> str:
    return pyotp.TOTP(secret).now()


async def ensure_keys(session: AsyncSession, keyring: Keyring, tenant: Tenant) -> None:
    """The tenant's data and search keys, made once."""
    await bind_tenant(session, tenant.id)
    found = await session.scalar(select(TenantKey.version).where(TenantKey.tenant_id == tenant.id))
    if found is None:
        await keyring.create_for_tenant(session, tenant.id)


async def make_patient(
    session: AsyncSession,
    keyring: Keyring,
    tenant: Tenant,
    *,
    given: str = "Ada",
    family: str = "Lovelace",
    preferred: str = "",
    born: date | None = None,
    identifiers: Sequence[tuple[str, str]] = (),
    address: str = "",
    phone: str = "",
    contacts: Sequence[dict[str, str]] = (),
    photo: bytes | None = None,
    archived: bool = False,
    created_by: uuid.UUID | None = None,
) -> Patient:
    """A patient stored as the app stores one: sealed and indexed for search."""
    await ensure_keys(session, keyring, tenant)
    identity = PatientIdentity(
        given_name=given,
        family_name=family,
        preferred_name=preferred,
        date_of_birth=born,
        identifiers=[{"kind": kind, "value": value} for kind, value in identifiers],
        address=address,
        phone=phone,
        emergency_contacts=list(contacts),
        photo=photo,
    )
    patient = await insert_patient(session, keyring, tenant.id, created_by or new_id(), identity)
    if archived:
        patient.archived_at = datetime.now(UTC)
        await session.flush()
    return patient


async def grant_access(
    session: AsyncSession,
    tenant: Tenant,
    patient: Patient,
    user: User,
    *,
    expires_at: datetime | None = None,
    granted_by: uuid.UUID | None = None,
) -> PatientAccess:
    await bind_tenant(session, tenant.id)
    access = PatientAccess(
        tenant_id=tenant.id,
        patient_id=patient.id,
        user_id=user.id,
        granted_by=granted_by or new_id(),
        expires_at=expires_at,
    )
    session.add(access)
    await session.flush()
    return access


async def stored_password_hash(session: AsyncSession, email: str) -> str | None:
    """The stored hash, read the only way the app role may: the sign-in function."""
    return await session.scalar(
        text("SELECT password_hash FROM tend_user_for_login(:email)"), {"email": email}
    )


async def stored_mfa_secret(session: AsyncSession, user_id: uuid.UUID) -> bytes | None:
    """The sealed TOTP secret, read as the app reads it: as that person, through the
    owner's function (the column itself is not readable by the app role)."""
    previous = await session.scalar(text("SELECT current_setting('app.user_id', true)"))
    await session.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": str(user_id)})
    try:
        return await session.scalar(text("SELECT tend_own_mfa_secret(:u)"), {"u": user_id})
    finally:
        await session.execute(
            text("SELECT set_config('app.user_id', :p, true)"), {"p": previous or ""}
        )


def scope_for(
    tenant_id: uuid.UUID, user_id: uuid.UUID, role: Role | str = Role.CARER, **fields: Any
) -> AccessScope:
    """A signed-in person's scope, for tests that call services and queries directly;
    `fields` overrides the rest (time_zone, plan, display_name…)."""
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "user_id": user_id,
        "session_id": user_id,
        "role": Role(role),
        "display_name": "",
        "email": "",
        "tenant_name": "",
        "mfa_enabled": False,
        "mfa_verified": True,
        "require_mfa": False,
        "locale": None,
    }
    return AccessScope(**{**values, **fields})
