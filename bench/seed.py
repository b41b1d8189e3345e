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


# -- A patient's record with history (the Today page and recording a dose) ---------------

NOTE_TIMES = ("07:00", "12:30", "17:00", "21:30")
NOTE_BODY = (
    "Assisted with washing and dressing; skin intact, no redness on heels or sacrum. "
    "Ate most of breakfast, two cups of tea. Walked to the lounge with the frame, steady."
)
# (name, strength, form, dose, route, times): four scheduled medicines, 1–3 doses a day.
HISTORY_MEDICINES = (
    ("Amlodipine", "5 mg", "tablet", "1 tablet", "oral", ["08:00"]),
    ("Metformin", "500 mg", "tablet", "1 tablet", "oral", ["08:00", "18:00"]),
    ("Paracetamol", "500 mg", "tablet", "2 tablets", "oral", ["08:00", "13:00", "18:00"]),
    ("Atorvastatin", "20 mg", "tablet", "1 tablet", "oral", ["21:00"]),
)
# (title, times): four daily care-plan tasks.
HISTORY_TASKS = (
    ("Help with washing and dressing", ["08:00"]),
    ("Reposition to relieve pressure", ["10:00", "16:00"]),
    ("Offer a drink and record fluids", ["12:00"]),
    ("Prepare for bed", ["20:30"]),
)
VITALS_TIMES = ("08:00", "14:00", "20:00")
# (respiration rate, SpO2, systolic, diastolic, pulse, temperature): scored with Tend's
# own NEWS2 (app/domain/vitals/news2.py) before they are inserted.
VITALS_SETS = (
    (16, 97, 128, 78, 72, "36.8"),
    (18, 95, 134, 82, 84, "37.1"),
    (14, 98, 122, 74, 66, "36.5"),
    (21, 94, 108, 70, 96, "37.9"),
    (17, 96, 140, 88, 78, "36.9"),
)


@dataclass(frozen=True)
class CarePatient:
    """A carer (MFA on and given) with a grant for one patient who has a record."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    token: str
    """The carer's `tend_session` cookie."""
    patient_id: uuid.UUID
    medicine_ids: tuple[uuid.UUID, ...] = ()
    tokens: tuple[str, ...] = ()
    """Every carer's session cookie, the first being `token`'s."""
    user_ids: tuple[uuid.UUID, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)
    """Rows of history seeded, by table."""


async def _carer_and_patient(
    conn: asyncpg.Connection, keys: BenchKeys, name: str
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    """A tenant, its signed-in carer, a colleague who wrote the history, and one patient
    the carer holds a grant for: (tenant, carer, colleague, patient)."""
    tenant_id, data_key = await _new_tenant(conn, keys, name)
    hasher = real_hasher()
    suffix = tenant_id.hex[-12:]
    admin = await _new_member(
        conn,
        keys,
        tenant_id,
        email=f"admin-{suffix}@bench.example",
        name="Bench Admin",
        role="admin",
        password_hash=hasher.hash(secrets.token_urlsafe(16)),
        mfa=True,
    )
    carer = await _new_member(
        conn,
        keys,
        tenant_id,
        email=f"carer-{suffix}@bench.example",
        name="Bench Carer",
        role="carer",
        password_hash=hasher.hash(secrets.token_urlsafe(16)),
        mfa=True,
    )
    colleague = await _new_member(
        conn,
        keys,
        tenant_id,
        email=f"colleague-{suffix}@bench.example",
        name="Ngozi Colleague",
        role="carer",
        password_hash=hasher.hash(secrets.token_urlsafe(16)),
        mfa=False,
    )
    (row,) = _patient_rows(tenant_id, data_key, 1, random.Random(name))
    await conn.execute(_INSERT_PATIENTS, tenant_id, KEY_VERSION, admin, *([v] for v in row))
    patient_id = row[0]
    await conn.execute(
        "INSERT INTO patient_access (tenant_id, patient_id, user_id, granted_by) "
        "VALUES ($1, $2, $3, $4), ($1, $2, $5, $4)",
        tenant_id,
        patient_id,
        carer,
        admin,
        colleague,
    )
    return tenant_id, carer, colleague, patient_id


async def _session(
    conn: asyncpg.Connection, keys: BenchKeys, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> str:
    """A live session with its second factor given; returns the signed cookie."""
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
    claims = session_tokens.SessionClaims(user_id, tenant_id, session_id)
    return session_tokens.encode(claims, keys.secret_key, expires_at)


async def _insert_medicine(
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    patient_id: uuid.UUID,
    author: uuid.UUID,
    starts_on: date,
    name: str,
    strength: str,
    form: str,
    dose: str,
    route: str,
    times: list[str],
    *,
    prn: bool = False,
) -> uuid.UUID:
    medicine_id = new_id()
    await conn.execute(
        "INSERT INTO medications (tenant_id, id, patient_id, name, strength, form, dose, route, "
        "starts_on, prn, times, prn_reason, min_interval_minutes, max_per_day, created_by, "
        "updated_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
        "$11, $12, $13, $14, $15, $15, $16, $16)",
        tenant_id,
        medicine_id,
        patient_id,
        name,
        strength,
        form,
        dose,
        route,
        starts_on,
        prn,
        times,
        "Pain" if prn else "",
        240 if prn else None,
        4 if prn else None,
        author,
        datetime.combine(starts_on, datetime.min.time(), UTC),
    )
    await conn.execute(
        "INSERT INTO medication_versions (tenant_id, id, medication_id, version, snapshot, "
        "changed_by, changed_at) VALUES ($1, $2, $3, 1, $4::jsonb, $5, $6)",
        tenant_id,
        new_id(),
        medicine_id,
        '{"name": "%s"}' % name,  # noqa: UP031 (a fixed name, no quoting to do)
        author,
        datetime.combine(starts_on, datetime.min.time(), UTC),
    )
    return medicine_id


# Every history row is made by one INSERT … SELECT over generate_series (COPY is refused
# on tables with row-level security), so a five-year record takes a second or two.
# Times are the tenant's default zone, UTC. $1 tenant, $2 patient, $3 author, $4 first day.
_HISTORY_NOTES = """
    INSERT INTO care_notes (tenant_id, id, patient_id, author_id, created_at, category, body,
                            handover, version, updated_at, updated_by)
    SELECT $1, gen_random_uuid(), $2, $3, at,
           (ARRAY['personal_care', 'meals_fluids', 'mood', 'sleep', 'mobility', 'continence',
                  'general'])[1 + ((n * 4 + slot) % 7)::int],
           $5 || ' (' || n || ')', slot IN (1, 4), 1, at, $3
      FROM generate_series($4::date, current_date, interval '1 day') WITH ORDINALITY AS d(day, n),
           unnest($6::time[]) WITH ORDINALITY AS s(clock, slot),
           LATERAL (SELECT (d.day + s.clock) AT TIME ZONE 'UTC' AS at) AS m
     WHERE at < now() - interval '20 minutes'
"""
_HISTORY_DOSES = """
    INSERT INTO medication_administrations (tenant_id, id, patient_id, medication_id,
        scheduled_for, dose_at, given_at, outcome, note, late, recorded_by, recorded_at)
    SELECT $1, gen_random_uuid(), $2, med.id, at, at,
           CASE WHEN n % 41 = 0 THEN NULL ELSE at + interval '7 minutes' END,
           CASE WHEN n % 41 = 0 THEN 'refused' ELSE 'given' END,
           CASE WHEN n % 41 = 0 THEN 'Declined, said she would take it later.' ELSE '' END,
           false, $3, at + interval '9 minutes'
      FROM medications AS med,
           generate_series($4::date, current_date, interval '1 day') WITH ORDINALITY AS d(day, n),
           unnest(med.times) AS s(clock),
           LATERAL (SELECT (d.day + s.clock::time) AT TIME ZONE 'UTC' AS at) AS m
     WHERE med.tenant_id = $1 AND med.patient_id = $2 AND NOT med.prn
       AND at < now() - interval '90 minutes'
"""
_HISTORY_PRN = """
    INSERT INTO medication_administrations (tenant_id, id, patient_id, medication_id,
        scheduled_for, dose_at, given_at, outcome, prn_reason, recorded_by, recorded_at,
        effect, effect_by, effect_at)
    SELECT $1, gen_random_uuid(), $2, $5, NULL, at, at, 'given', 'Knee pain on walking', $3,
           at, 'helped', $3, at + interval '45 minutes'
      FROM generate_series($4::date, current_date, interval '1 day') AS d(day),
           LATERAL (SELECT (d.day + time '15:10') AT TIME ZONE 'UTC' AS at) AS m
     WHERE at < now() - interval '2 hours'
"""
_HISTORY_VITALS = """
    INSERT INTO vitals_observations (tenant_id, id, patient_id, taken_at, recorded_by,
        recorded_at, respiration_rate, spo2, on_oxygen, systolic, diastolic, pulse,
        consciousness, temperature, spo2_scale, news2, news2_risk)
    SELECT $1, gen_random_uuid(), $2, at, $3, at + interval '3 minutes',
           ($6::int[])[k], ($7::int[])[k], false, ($8::int[])[k], ($9::int[])[k],
           ($10::int[])[k], 'A', ($11::numeric[])[k], 1, ($12::int[])[k], ($13::text[])[k]
      FROM generate_series($4::date, current_date, interval '1 day') WITH ORDINALITY AS d(day, n),
           unnest($5::time[]) WITH ORDINALITY AS s(clock, slot),
           LATERAL (SELECT (d.day + s.clock) AT TIME ZONE 'UTC' AS at,
                           1 + ((n * 3 + slot) % cardinality($6::int[]))::int AS k) AS m
     WHERE at < now() - interval '30 minutes'
"""
_HISTORY_TASKS = """
    INSERT INTO care_tasks (tenant_id, id, patient_id, title, details, times, days_of_week,
        start_date, created_by, created_at, updated_by, updated_at)
    SELECT $1, t.id, $2, t.title, '', t.times::time[], ARRAY[0,1,2,3,4,5,6]::smallint[], $4,
           $3, $4::date, $3, $4::date
      FROM unnest($5::uuid[], $6::text[], $7::text[]) AS t(id, title, times)
"""
_HISTORY_TASK_VERSIONS = """
    INSERT INTO care_task_versions (tenant_id, task_id, version, title, details, times,
        days_of_week, start_date, changed_by, changed_at)
    SELECT tenant_id, id, 1, title, details, times, days_of_week, start_date, created_by,
           created_at
      FROM care_tasks WHERE tenant_id = $1 AND patient_id = $2
"""
_HISTORY_COMPLETIONS = """
    INSERT INTO care_task_completions (tenant_id, id, task_id, patient_id, due_at, outcome,
        note, recorded_by, recorded_at)
    SELECT $1, gen_random_uuid(), task.id, $2, at,
           CASE WHEN n % 29 = 0 THEN 'skipped' ELSE 'done' END,
           CASE WHEN n % 29 = 0 THEN 'Asleep; will try again later.' ELSE '' END,
           $3, at + interval '12 minutes'
      FROM care_tasks AS task,
           generate_series($4::date, current_date, interval '1 day') WITH ORDINALITY AS d(day, n),
           unnest(task.times) AS s(clock),
           LATERAL (SELECT (d.day + s.clock) AT TIME ZONE 'UTC' AS at) AS m
     WHERE task.tenant_id = $1 AND task.patient_id = $2 AND at < now() - interval '75 minutes'
"""


def _scored_vitals() -> list[list[object]]:
    """VITALS_SETS as columns, with Tend's NEWS2 and risk band for each set."""
    from decimal import Decimal

    from app.domain.vitals.news2 import Consciousness, Observations, score

    columns: list[list[object]] = [[] for _ in range(8)]
    for rate, spo2, systolic, diastolic, pulse, temperature in VITALS_SETS:
        observed = Observations(
            rate, spo2, False, systolic, pulse, Consciousness("A"), Decimal(temperature)
        )
        news2 = score(observed)
        assert news2 is not None
        values = (
            rate,
            spo2,
            systolic,
            diastolic,
            pulse,
            Decimal(temperature),
            news2.total,
            str(news2.risk),
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return columns


async def _more_carers(
    conn: asyncpg.Connection,
    keys: BenchKeys,
    tenant_id: uuid.UUID,
    patient_id: uuid.UUID,
    granted_by: uuid.UUID,
    count: int,
) -> list[uuid.UUID]:
    """`count` more carers (MFA on) with a grant for the patient."""
    password_hash = real_hasher().hash(secrets.token_urlsafe(16))
    found = []
    for number in range(count):
        user_id = await _new_member(conn, keys, tenant_id,
                                    email=f"carer{number}-{tenant_id.hex[-12:]}@bench.example",
                                    name=f"Carer {number}", role="carer",
                                    password_hash=password_hash, mfa=True)  # fmt: skip
        await conn.execute(
            "INSERT INTO patient_access (tenant_id, patient_id, user_id, granted_by) "
            "VALUES ($1, $2, $3, $4)",
            tenant_id,
            patient_id,
            user_id,
            granted_by,
        )
        found.append(user_id)
    return found


async def carer_with_history(
    owner_url: str, keys: BenchKeys, name: str, days: int, carers: int = 1
) -> tuple[CarePatient, float]:
    """A carer with a grant for one patient with `days` days of record up to now: 4 care
    notes a day (2 of them handovers), 4 scheduled medicines (1–3 doses a day, each dose
    with its outcome) and a PRN one given daily, 3 vitals sets a day with NEWS2, and 4
    daily care-plan tasks with their completions. Returns it and the seconds it took."""
    started = time.perf_counter()
    first = date.today() - timedelta(days=days - 1)
    conn = await _connect(owner_url)
    counts: dict[str, int] = {}
    try:
        async with conn.transaction():
            tenant_id, carer, colleague, patient_id = await _carer_and_patient(conn, keys, name)
            for medicine in HISTORY_MEDICINES:
                await _insert_medicine(conn, tenant_id, patient_id, colleague, first, *medicine)
            prn = await _insert_medicine(
                conn,
                tenant_id,
                patient_id,
                colleague,
                first,
                "Ibuprofen",
                "200 mg",
                "tablet",
                "1 tablet",
                "oral",
                [],
                prn=True,
            )
            base = (tenant_id, patient_id, colleague, first)
            clocks = [datetime.strptime(t, "%H:%M").time() for t in NOTE_TIMES]
            status = await conn.execute(_HISTORY_NOTES, *base, NOTE_BODY, clocks)
            counts["care_notes"] = int(status.split()[-1])
            status = await conn.execute(_HISTORY_DOSES, *base)
            counts["medication_administrations"] = int(status.split()[-1])
            status = await conn.execute(_HISTORY_PRN, *base, prn)
            counts["medication_administrations"] += int(status.split()[-1])
            clocks = [datetime.strptime(t, "%H:%M").time() for t in VITALS_TIMES]
            status = await conn.execute(_HISTORY_VITALS, *base, clocks, *_scored_vitals())
            counts["vitals_observations"] = int(status.split()[-1])
            task_ids = [new_id() for _ in HISTORY_TASKS]
            titles = [title for title, _ in HISTORY_TASKS]
            times = ["{" + ",".join(t) + "}" for _, t in HISTORY_TASKS]
            await conn.execute(_HISTORY_TASKS, *base, task_ids, titles, times)
            await conn.execute(_HISTORY_TASK_VERSIONS, tenant_id, patient_id)
            status = await conn.execute(_HISTORY_COMPLETIONS, *base)
            counts["care_task_completions"] = int(status.split()[-1])
            granted_by = await conn.fetchval(
                "SELECT granted_by FROM patient_access WHERE tenant_id = $1 AND user_id = $2",
                tenant_id,
                carer,
            )
            people = [carer] + await _more_carers(
                conn, keys, tenant_id, patient_id, granted_by, carers - 1
            )
            tokens = [await _session(conn, keys, tenant_id, person) for person in people]
    finally:
        await conn.close()
    found = CarePatient(tenant_id, carer, tokens[0], patient_id, rows=counts,
                        tokens=tuple(tokens), user_ids=tuple(people))  # fmt: skip
    return found, time.perf_counter() - started


DOSE_TIMES = [f"{hour:02d}:00" for hour in range(24)]


async def carer_with_dose_rounds(
    owner_url: str, keys: BenchKeys, name: str, medicines: int
) -> CarePatient:
    """A carer with a grant for one patient on `medicines` scheduled medicines, each given
    every hour on the hour (24 doses a day) since five years ago and none recorded yet: a
    load posting one past dose of a medicine after another, one medicine per wrk thread,
    always records a dose nobody has recorded (the eMAR allows one outcome a dose)."""
    first = date.today() - timedelta(days=5 * 365)
    conn = await _connect(owner_url)
    try:
        async with conn.transaction():
            tenant_id, carer, colleague, patient_id = await _carer_and_patient(conn, keys, name)
            ids = [
                await _insert_medicine(
                    conn,
                    tenant_id,
                    patient_id,
                    colleague,
                    first,
                    f"Medicine {n + 1}",
                    "5 mg",
                    "tablet",
                    "1 tablet",
                    "oral",
                    DOSE_TIMES,
                )
                for n in range(medicines)
            ]
            token = await _session(conn, keys, tenant_id, carer)
    finally:
        await conn.close()
    return CarePatient(tenant_id, carer, token, patient_id, tuple(ids))
