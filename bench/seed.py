"""Bench data, written straight into the bench database as the owner role.

Rows are shaped exactly as Tend writes them (app/domain/patients/codec.py,
app/domain/identity/services.py, app/domain/keys/keyring.py), with Tend's own crypto
functions, so Tend reads them as its own: a field sealed wrongly would fail Tend's
decryption and show as errors in the run. The owner is bound by row-level security on
the tenant tables too (FORCE ROW LEVEL SECURITY), so every transaction here sets
`app.tenant_id` first, as Tend does.
"""

from __future__ import annotations

import itertools
import random
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pyotp
from argon2 import PasswordHasher

from app.config import plain_url
from app.db.models.base import new_id
from app.domain.identity.mfa import seal_secret
from app.domain.keys.keyring import DATA, SEARCH
from app.domain.patients.codec import TABLE
from app.lib import session_tokens
from app.lib.crypto import (
    MasterKeys,
    encode_key,
    field_context,
    fingerprint,
    new_key,
    parse_key,
    seal,
)
from app.lib.passwords import MEMORY_KIB, PARALLELISM, TIME_COST

KEY_VERSION = 1
BATCH = 5_000
SESSION_LIFETIME = timedelta(hours=12)

GIVEN = ("Margaret", "Ahmed", "Zoë", "José", "Aroha", "Li", "Siobhan", "Kwame", "Ingrid",
         "Tomasz", "Priya", "Olusegun", "Mei", "Dmitri", "Fatima", "Hemi", "Beatriz", "Yusuf",
         "Eleanor", "Kenji", "Amara", "Lars", "Noor", "Mateo")  # fmt: skip
FAMILY = ("Okafor", "Nguyen", "Brennan", "García", "Tāwhiri", "Kowalski", "Haddad",
          "Lindqvist", "Mensah", "O'Brien", "Sato", "Petrova", "Achterberg", "Ramírez", "Walker",
          "Adeyemi", "Chen", "Murphy", "Ferreira", "Singh", "Novak", "Dubois", "Takahashi",
          "Evans")  # fmt: skip


@dataclass(frozen=True)
class BenchKeys:
    """The keys Tend runs with in this run, so the bench can write what Tend will read."""

    secret_key: str
    """TEND_SECRET_KEY: signs session cookies."""
    master_key: str
    """TEND_MASTER_KEY: wraps each tenant's data keys."""
    mfa_key: str
    """TEND_MFA_KEY: seals TOTP secrets."""

    def env(self) -> dict[str, str]:
        return {
            "TEND_SECRET_KEY": self.secret_key,
            "TEND_MASTER_KEY": self.master_key,
            "TEND_MFA_KEY": self.mfa_key,
        }


def new_bench_keys() -> BenchKeys:
    """Fresh keys for one run, of the kinds Tend generates for itself in development."""
    return BenchKeys(
        secret_key=secrets.token_urlsafe(48),
        master_key=encode_key(new_key()),
        mfa_key=encode_key(new_key()),
    )


@dataclass(frozen=True)
class SignedInAdmin:
    """An admin of a tenant, MFA on, with a live session whose second factor is given."""

    tenant_id: uuid.UUID
    tenant_name: str
    user_id: uuid.UUID
    session_id: uuid.UUID
    token: str
    """The `tend_session` cookie's value."""


@dataclass(frozen=True)
class LoginAccount:
    email: str
    password: str


@dataclass(frozen=True)
class LoginTenant:
    tenant_id: uuid.UUID
    accounts: list[LoginAccount] = field(default_factory=list)


def real_hasher() -> PasswordHasher:
    """Tend's production argon2id parameters, whatever the environment says: a cheap
    test-sized hash would make Tend's sign-in look cheap (and make Tend rehash it)."""
    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)


async def _connect(owner_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(plain_url(owner_url))


async def _bind(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> None:
    # Transaction-local, as Tend binds: the caller is inside a transaction.
    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))


async def _new_tenant(
    conn: asyncpg.Connection, keys: BenchKeys, name: str
) -> tuple[uuid.UUID, bytes]:
    """A tenant, its settings row and its data and search keys; returns (id, data key).
    The caller holds a transaction; it is left bound to the new tenant."""
    tenant_id = new_id()
    await conn.execute("INSERT INTO tenants (id, name) VALUES ($1, $2)", tenant_id, name)
    await _bind(conn, tenant_id)
    await conn.execute("INSERT INTO tenant_settings (tenant_id) VALUES ($1)", tenant_id)
    master = MasterKeys(current=parse_key(keys.master_key, "TEND_MASTER_KEY"))
    data_key = b""
    for purpose in (DATA, SEARCH):
        key = new_key()
        if purpose == DATA:
            data_key = key
        await conn.execute(
            "INSERT INTO tenant_keys (tenant_id, purpose, version, wrapped, wrapped_by, state) "
            "VALUES ($1, $2, $3, $4, $5, 'active')",
            tenant_id,
            purpose,
            KEY_VERSION,
            master.wrap(key, tenant_id, KEY_VERSION, purpose),
            fingerprint(master.current),
        )
    return tenant_id, data_key


async def _new_member(
    conn: asyncpg.Connection,
    keys: BenchKeys,
    tenant_id: uuid.UUID,
    *,
    email: str,
    name: str,
    role: str,
    password_hash: str,
    mfa: bool,
) -> uuid.UUID:
    user_id = new_id()
    mfa_secret = None
    if mfa:
        mfa_secret = seal_secret(
            parse_key(keys.mfa_key, "TEND_MFA_KEY"), user_id, pyotp.random_base32()
        )
    await conn.execute(
        "INSERT INTO users (id, email, display_name, password_hash, mfa_secret, mfa_enabled_at) "
        "VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END)",
        user_id,
        email,
        name,
        password_hash,
        mfa_secret,
        mfa,
    )
    await conn.execute(
        "INSERT INTO memberships (tenant_id, user_id, role, status) VALUES ($1, $2, $3, 'active')",
        tenant_id,
        user_id,
        role,
    )
    return user_id


def _patient_rows(
    tenant_id: uuid.UUID, key: bytes, count: int, rng: random.Random
) -> Iterator[tuple[uuid.UUID, bytes, bytes, bytes | None, bytes]]:
    """(id, given, family, preferred, date of birth) sealed as codec.seal_identity seals
    them: each value bound to its tenant, table, column and row."""
    for _ in range(count):
        patient_id = new_id()
        given = rng.choice(GIVEN)
        preferred = rng.choice(GIVEN) if rng.random() < 0.1 else None
        born = date(1925, 1, 1) + timedelta(days=rng.randrange(70 * 365))

        def sealed(column: str, text: str, patient_id: uuid.UUID = patient_id) -> bytes:
            context = field_context(tenant_id, TABLE, column, patient_id)
            return seal(key, KEY_VERSION, text.encode(), context)

        yield (
            patient_id,
            sealed("given_name", given),
            sealed("family_name", rng.choice(FAMILY)),
            sealed("preferred_name", preferred) if preferred else None,
            sealed("date_of_birth", born.isoformat()),
        )


_INSERT_PATIENTS = """
    INSERT INTO patients (tenant_id, id, given_name, family_name, preferred_name,
                          date_of_birth, key_version, created_by)
    SELECT $1, p.id, p.given, p.family, p.preferred, p.born, $2, $3
      FROM unnest($4::uuid[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bytea[])
           AS p(id, given, family, preferred, born)
"""


async def admin_with_patients(
    owner_url: str, keys: BenchKeys, name: str, patients: int
) -> tuple[SignedInAdmin, float]:
    """A tenant with `patients` sealed patients and a signed-in admin (MFA on and given);
    returns the admin and the seconds the patients took to seal and insert.

    COPY is refused on tables with row-level security, so the patients go in as
    `INSERT ... SELECT FROM unnest(...)`, BATCH rows a statement.
    """
    started = time.perf_counter()
    rng = random.Random(name)
    conn = await _connect(owner_url)
    try:
        async with conn.transaction():
            tenant_id, data_key = await _new_tenant(conn, keys, name)
            user_id = await _new_member(
                conn,
                keys,
                tenant_id,
                email=f"admin-{tenant_id.hex[-12:]}@bench.example",
                name="Bench Admin",
                role="admin",
                password_hash=real_hasher().hash(secrets.token_urlsafe(16)),
                mfa=True,
            )
            rows = _patient_rows(tenant_id, data_key, patients, rng)
            while batch := list(itertools.islice(rows, BATCH)):
                await conn.execute(
                    _INSERT_PATIENTS,
                    tenant_id,
                    KEY_VERSION,
                    user_id,
                    *map(list, zip(*batch, strict=True)),
                )
            # After the patients: a session row's idle clock starts now, not before seeding.
            session_id = new_id()
            expires_at = datetime.now(UTC) + SESSION_LIFETIME
            await conn.execute(
                "INSERT INTO sessions (tenant_id, id, user_id, expires_at, mfa_verified_at) "
                "VALUES ($1, $2, $3, $4, now())",
                tenant_id,
                session_id,
                user_id,
                expires_at,
            )
    finally:
        await conn.close()
    claims = session_tokens.SessionClaims(user_id, tenant_id, session_id)
    token = session_tokens.encode(claims, keys.secret_key, expires_at)
    admin = SignedInAdmin(tenant_id, name, user_id, session_id, token)
    return admin, time.perf_counter() - started


async def login_tenant(owner_url: str, keys: BenchKeys, accounts: int) -> LoginTenant:
    """A tenant of `accounts` carers without MFA (so a right password signs straight in),
    each with a password hashed at Tend's real argon2id parameters."""
    hasher = real_hasher()
    people = [
        LoginAccount(
            f"carer{n:03d}-{secrets.token_hex(3)}@bench.example", secrets.token_urlsafe(12)
        )
        for n in range(accounts)
    ]
    conn = await _connect(owner_url)
    try:
        async with conn.transaction():
            tenant_id, _ = await _new_tenant(conn, keys, "Bench sign-in")
            for number, person in enumerate(people):
                await _new_member(
                    conn,
                    keys,
                    tenant_id,
                    email=person.email,
                    name=f"Carer {number}",
                    role="carer",
                    password_hash=hasher.hash(person.password),
                    mfa=False,
                )
    finally:
        await conn.close()
    return LoginTenant(tenant_id, people)


async def password_hashes(owner_url: str, emails: list[str]) -> dict[str, str]:
    """The stored hashes (users are not bound by RLS for their owner): a sign-in that
    rehashed a password would show here as a changed hash."""
    conn = await _connect(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT email, password_hash FROM users WHERE email = ANY($1::text[])", emails
        )
    finally:
        await conn.close()
    return {row["email"]: row["password_hash"] for row in rows}


# Per-address sign-in limit (app/domain/identity/controllers/_signin.py): 30 a minute,
# counted in fixed one-minute windows of `rate_limits`. A window row started far below
# zero leaves room for every sign-in of the run, while Tend still counts each one (its
# INSERT ... ON CONFLICT on that row stays in the measured path).
HEADROOM = -1_000_000
_OPEN_WINDOWS = """
    INSERT INTO rate_limits (key, window_start, hits)
    SELECT $1, to_timestamp(floor(extract(epoch FROM now()) / 60) * 60)
               + make_interval(mins => n), $2
      FROM generate_series(0, $3) AS n
    ON CONFLICT (key, window_start) DO UPDATE SET hits = EXCLUDED.hits
"""


async def open_rate_limit(owner_url: str, key: str, minutes: int) -> None:
    conn = await _connect(owner_url)
    try:
        await conn.execute(_OPEN_WINDOWS, key, HEADROOM, minutes)
    finally:
        await conn.close()


async def close_rate_limit(owner_url: str, key: str) -> int:
    """Remove the headroom rows again; returns how many hits Tend counted in them."""
    conn = await _connect(owner_url)
    try:
        rows = await conn.fetch(
            "DELETE FROM rate_limits WHERE key = $1 AND hits < 0 RETURNING hits", key
        )
    finally:
        await conn.close()
    return sum(int(row["hits"]) - HEADROOM for row in rows)
