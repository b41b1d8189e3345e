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
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import asyncpg
from jinja2 import Environment
from litestar import Litestar, MediaType, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body

from app.config import plain_url
from app.db.models import Role
from app.db.models.base import new_id
from app.domain.care_notes.categories import category_choices
from app.domain.care_notes.display import show_note
from app.domain.care_notes.forms import NoteForm
from app.domain.care_notes.repository import NoteRow
from app.domain.care_notes.today import DEFAULT_LOOKBACK, HANDOVERS_MAX
from app.domain.care_notes.today import RECENT as RECENT_NOTES
from app.domain.identity.access import AccessScope
from app.domain.medications.controllers._shared import dose_key
from app.domain.medications.labels import EFFECTS, effect_label
from app.domain.medications.records import current_records, regimen_of
from app.domain.medications.rules import DAY, dose_state, is_late, prn_next_allowed
from app.domain.medications.schedule import day_bounds as med_day_bounds
from app.domain.medications.schedule import doses_on
from app.domain.medications.today import EFFECT_AFTER
from app.domain.medications.views import medicine_view, record_view
from app.domain.medications.views import show_time as medicine_time
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.dates import show_day, show_moment
from app.domain.patients.nav import patient_frame
from app.domain.tasks.occurrences import occurrences_of
from app.domain.tasks.recurrence import day_bounds as task_day_bounds
from app.domain.tasks.views import people_in, sorted_rows
from app.domain.today.visits import _STAMP
from app.domain.vitals.display import set_view
from app.domain.vitals.today import _due as vitals_due
from app.lib.crypto import MasterKeys, field_context, key_version, open_sealed, parse_key
from app.lib.templates import make_environment

# The shape of Tend's CSRF token (app/lib/csrf.py: an HMAC-SHA256 in 64 hex digits), so
# the page has the same size as Tend's; one per process, as one session's would be.
CSRF_TOKEN = secrets.token_hex(32)

# Tend's per-worker pool: pool_size 10 plus max_overflow 10 (app/config.py).
POOL_MAX_SIZE = 20
PAGE_SIZE = 50
TENANT_HEADER = "x-bench-tenant"
USER_HEADER = "x-bench-user"


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

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    """The layout's offline-notes owner (`components/_pwa.html`) reads both ids."""
    tenant_name: str
    is_admin: bool = True
    mfa_pending: bool = False
    must_enrol_mfa: bool = False


@dataclass(frozen=True)
class TenantData:
    name: str
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
        found = state.tenants[tenant_id] = TenantData(name, keys)
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
    user_id = uuid.UUID(request.headers[USER_HEADER])
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
    scope = state.list_scopes.get(user_id)
    if scope is None:
        scope = state.list_scopes[user_id] = ListScope(tenant_id, user_id, tenant.name)
    request.scope["auth"] = scope  # type: ignore[typeddict-unknown-key]
    return state.templates.get_template("patients/list.html").render(request=request, **context)


# -- A patient's Today page and recording a dose -----------------------------------------

# Tend's visit stamp (app/domain/today/visits.py) with asyncpg's numbered parameters.
_STAMP_VISIT = (
    str(_STAMP)
    .replace(":tenant_id", "$1")
    .replace(":patient_id", "$2")
    .replace(":user_id", "$3")
    .replace(":now", "$4")
)


class Row:
    """An asyncpg record read as attributes, so Tend's display functions (which read ORM
    rows' attributes) build the same view from it."""

    __slots__ = ("_record",)

    def __init__(self, record: asyncpg.Record) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        try:
            return self._record[name]
        except KeyError:
            raise AttributeError(name) from None


_ME = """
    SELECT u.display_name, u.email, t.name AS tenant_name, s.plan, s.time_zone,
           s.dose_window_minutes, m.role
      FROM users u
      JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $1
      JOIN tenants t ON t.id = $1
      JOIN tenant_settings s ON s.tenant_id = $1
     WHERE u.id = $2
"""


async def _me(state: State, conn: asyncpg.Connection, request: Request) -> AccessScope:
    """Who the page is for, from the bench's headers (no session check), read once per
    process and person, with the tenant's keys (see `_tenant`)."""
    tenant_id = uuid.UUID(request.headers[TENANT_HEADER])
    user_id = uuid.UUID(request.headers[USER_HEADER])
    await _bind(state, conn, tenant_id)
    found = state.people.get(user_id)
    if found is None:
        await _tenant(state, conn, tenant_id)
        row = await conn.fetchrow(_ME, tenant_id, user_id)
        found = state.people[user_id] = AccessScope(
            tenant_id=tenant_id,
            user_id=user_id,
            session_id=uuid.uuid4(),
            role=Role(row["role"]),
            display_name=row["display_name"],
            email=row["email"],
            tenant_name=row["tenant_name"],
            mfa_enabled=True,
            mfa_verified=True,
            require_mfa=False,
            locale=None,
            plan=row["plan"],
            time_zone=row["time_zone"],
            dose_window_minutes=row["dose_window_minutes"],
        )
    return found


# What Tend's Today page reads, in plain SQL: the visibility check once (the patient
# query), not in every statement.
_PATIENT = """
    SELECT tenant_id, id, given_name, family_name, preferred_name, archived_at
      FROM patients p
     WHERE tenant_id = $1 AND id = $2 AND archived_at IS NULL
       AND EXISTS (SELECT 1 FROM patient_access a
                    WHERE a.tenant_id = $1 AND a.patient_id = p.id AND a.user_id = $3
                      AND (a.expires_at IS NULL OR a.expires_at > now()))
"""
_MEDICINES = """
    SELECT * FROM medications
     WHERE tenant_id = $1 AND patient_id = $2 AND starts_on <= $3
       AND (ends_on IS NULL OR ends_on >= $3 - 1) AND (stopped_at IS NULL OR stopped_at > $4)
"""
_DOSES = """
    SELECT * FROM medication_administrations
     WHERE tenant_id = $1 AND patient_id = $2 AND dose_at >= $3 AND dose_at < $4
"""
_TASKS = """
    SELECT * FROM care_tasks
     WHERE tenant_id = $1 AND patient_id = $2 AND start_date <= $3
       AND (end_date IS NULL OR end_date >= $3) AND (stopped_at IS NULL OR stopped_at > $4)
       AND created_at < $5
     ORDER BY id
"""
_COMPLETIONS = """
    SELECT * FROM care_task_completions
     WHERE tenant_id = $1 AND patient_id = $2 AND due_at >= $3 AND due_at < $4
       AND undone_at IS NULL
"""
_NAMES = "SELECT id, display_name FROM users WHERE id = ANY($1::uuid[])"
_LATEST_VITALS = """
    SELECT * FROM vitals_observations
     WHERE tenant_id = $1 AND patient_id = $2 AND superseded_at IS NULL {scored}
     ORDER BY taken_at DESC LIMIT 1
"""
_NOTES = """
    SELECT n.id, n.patient_id, n.author_id, a.display_name AS author, n.created_at,
           n.category, n.body, n.handover, n.version, n.updated_at,
           e.display_name AS updated_by,
           EXISTS (SELECT 1 FROM care_note_photos ph
                    WHERE ph.tenant_id = n.tenant_id AND ph.note_id = n.id) AS has_photo
      FROM care_notes n
      LEFT JOIN users a ON a.id = n.author_id
      LEFT JOIN users e ON e.id = n.updated_by
     WHERE n.tenant_id = $1 AND n.patient_id = $2 {where}
     ORDER BY n.created_at DESC, n.id DESC
     LIMIT {limit}
"""


def _medicines_card(
    me: AccessScope, patient_id: uuid.UUID, now: datetime, medicines: list[Row], rows: list[Row]
) -> dict[str, Any]:
    """app/domain/medications/today.py's card from plain rows, with Tend's rules."""
    current = current_records(rows)  # type: ignore[arg-type]
    recorded = {(r.medication_id, r.scheduled_for) for r in current.values() if r.scheduled_for}
    base = f"/patients/{patient_id}/medicines"
    day = now.astimezone(me.zone).date()
    doses: list[dict[str, Any]] = []
    prn: list[dict[str, Any]] = []
    for medicine in medicines:
        if medicine.prn:
            if medicine.stopped_at is not None:
                continue
            given = [
                r.given_at
                for r in current.values()
                if r.medication_id == medicine.id and r.outcome == "given" and r.given_at
            ]
            allowed = prn_next_allowed(
                given, now, medicine.min_interval_minutes, medicine.max_per_day
            )
            prn.append(
                {
                    "medication_id": str(medicine.id),
                    "name": medicine.name,
                    "dose": medicine.dose,
                    "reason": medicine.prn_reason,
                    "next_allowed": show_moment(allowed, me.zone) if allowed else None,
                    "next_allowed_at": allowed,
                    "form_url": f"{base}/dose?medication={medicine.id}",
                }
            )
            continue
        for moment in doses_on(regimen_of(medicine), day, me.zone):  # type: ignore[arg-type]
            if (medicine.id, moment) in recorded:
                continue
            state = dose_state(moment, now, me.dose_window_minutes)
            if state == "upcoming":
                continue
            doses.append(
                {
                    "key": f"dose-{medicine.id}-{int(moment.timestamp())}",
                    "medication_id": str(medicine.id),
                    "name": medicine.name,
                    "dose": medicine.dose,
                    "controlled": medicine.controlled,
                    "at": moment.isoformat(),
                    "scheduled_for": moment,
                    "time": medicine_time(moment, me.zone),
                    "state": state,
                    "action": f"{base}/dose",
                    # Quoted, as Tend does: the "+" of the offset would come back a space.
                    "form_url": f"{base}/dose?medication={medicine.id}"
                    f"&at={quote(moment.isoformat())}",
                }
            )
    doses.sort(key=lambda d: d["scheduled_for"])
    names = {m.id: m.name for m in medicines if m.prn}
    awaiting = [
        {
            "record_id": str(r.id),
            "name": names[r.medication_id],
            "given_at": show_moment(r.given_at, me.zone),
        }
        for r in current.values()
        if r.medication_id in names
        and r.outcome == "given"
        and r.effect is None
        and r.given_at is not None
        and now - DAY < r.given_at <= now - EFFECT_AFTER
    ]
    return {
        "doses": doses,
        "due": sum(1 for d in doses if d["state"] == "due"),
        "overdue": sum(1 for d in doses if d["state"] == "overdue"),
        "prn": prn,
        "awaiting_effect": awaiting,
        "effects": [{"value": e, "label": effect_label(e)} for e in EFFECTS],
    }


async def _tasks_card(
    conn: asyncpg.Connection, me: AccessScope, patient_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    day = now.astimezone(me.zone).date()
    begin, end = task_day_bounds(day, me.zone)
    tasks = [Row(r) for r in await conn.fetch(_TASKS, me.tenant_id, patient_id, day, begin, end)]
    completions = [
        Row(r) for r in await conn.fetch(_COMPLETIONS, me.tenant_id, patient_id, begin, end)
    ]
    found = occurrences_of(tasks, completions, begin, end, me.zone)  # type: ignore[arg-type]
    wanted = [i for i in people_in(found) if i is not None]
    names = {r["id"]: r["display_name"] for r in await conn.fetch(_NAMES, wanted)} if wanted else {}
    rows = sorted_rows(found, now, me, names)
    states = [row["state"] for row in rows]
    return {
        "rows": [row for row in rows if row["state"] in ("overdue", "due")],
        "overdue": states.count("overdue"),
        "due": states.count("due"),
        "later": states.count("later"),
        "done": states.count("done"),
        "skipped": states.count("skipped"),
        "total": len(rows),
        "due_url": f"/patients/{patient_id}/tasks/today",
        "plan_url": f"/patients/{patient_id}/tasks",
        "next_url": f"/patients/{patient_id}/today",
    }


async def _vitals_card(
    conn: asyncpg.Connection, me: AccessScope, patient_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    row = await conn.fetchrow(_LATEST_VITALS.format(scored=""), me.tenant_id, patient_id)
    latest = Row(row) if row else None
    scored = latest if latest is not None and latest.news2 is not None else None
    if latest is not None and scored is None:
        row = await conn.fetchrow(
            _LATEST_VITALS.format(scored="AND news2 IS NOT NULL"), me.tenant_id, patient_id
        )
        scored = Row(row) if row else None
    return {
        "latest": set_view(latest, me.zone) if latest else None,  # type: ignore[arg-type]
        "score": set_view(scored, me.zone) if scored else None,  # type: ignore[arg-type]
        "score_is_latest": scored is not None and latest is not None and scored.id == latest.id,
        "due": vitals_due(latest, scored, now, me),  # type: ignore[arg-type]
        "url": f"/patients/{patient_id}/vitals",
    }


async def _notes_card(
    conn: asyncpg.Connection,
    me: AccessScope,
    patient_id: uuid.UUID,
    since: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    start = since if since is not None else now - DEFAULT_LOOKBACK
    recent = await conn.fetch(_NOTES.format(where="", limit=RECENT_NOTES), me.tenant_id, patient_id)
    handovers = await conn.fetch(
        _NOTES.format(
            where="AND n.created_at > $3 AND n.handover AND n.author_id <> $4",
            limit=HANDOVERS_MAX,
        ),
        me.tenant_id,
        patient_id,
        start,
        me.user_id,
    )
    base = f"/patients/{patient_id}/notes"
    return {
        "recent": [show_note(NoteRow(**row), me.zone) for row in recent],
        "handovers": [show_note(NoteRow(**row), me.zone) for row in handovers],
        "since": show_moment(start, me.zone),
        "since_iso": start.isoformat(),
        "since_last_visit": since is not None,
        "list_url": base,
        "new_url": f"{base}/new",
        "blank_form": NoteForm().values(),
        "categories": category_choices(),
    }


@get("/patients/{patient_id:uuid}/today", media_type=MediaType.HTML)
async def patient_today(request: Request, state: State, patient_id: uuid.UUID) -> str:
    """Tend's Today page for one patient: the same rows read in plain SQL on one pooled
    connection, the cards built with Tend's own rules and display functions, the same
    templates. The visit is stamped as Tend stamps it; no session check, no audit."""
    async with state.patients_pool.acquire() as conn:
        me = await _me(state, conn, request)
        tenant = state.tenants[me.tenant_id]
        found = await conn.fetchrow(_PATIENT, me.tenant_id, patient_id, me.user_id)
        if found is None:
            raise NotFoundException()
        name = _open(tenant.keys, found["given_name"], me.tenant_id, "given_name", patient_id)
        family = _open(tenant.keys, found["family_name"], me.tenant_id, "family_name", patient_id)
        preferred = _open(
            tenant.keys, found["preferred_name"], me.tenant_id, "preferred_name", patient_id
        )
        patient = ChosenPatient(patient_id, f"{preferred or name} {family}".strip(), False)
        now = datetime.now(UTC)
        since = await conn.fetchval(_STAMP_VISIT, me.tenant_id, patient_id, me.user_id, now)
        day = now.astimezone(me.zone).date()
        start, end = med_day_bounds(day, me.zone)
        medicines = [
            Row(r) for r in await conn.fetch(_MEDICINES, me.tenant_id, patient_id, day, now - DAY)
        ]
        doses = [
            Row(r)
            for r in await conn.fetch(
                _DOSES, me.tenant_id, patient_id, min(start, now - 2 * DAY), end
            )
        ]
        cards = [
            {
                "template": "medications/partials/_today.html",
                "section": _medicines_card(me, patient_id, now, medicines, doses),
            },
            {
                "template": "tasks/partials/_today.html",
                "section": await _tasks_card(conn, me, patient_id, now),
            },
            {
                "template": "vitals/partials/_today.html",
                "section": await _vitals_card(conn, me, patient_id, now),
            },
            {
                "template": "care_notes/partials/_today.html",
                "section": await _notes_card(conn, me, patient_id, since, now),
            },
        ]
    context = {
        **patient_frame(me, patient, "today"),
        "cards": cards,
        "since": show_moment(since, me.zone) if since else None,
        "notice": None,
    }
    request.scope["auth"] = me  # type: ignore[typeddict-unknown-key]
    return state.templates.get_template("today/patient.html").render(request=request, **context)


_DOSE_MEDICINE = """
    SELECT m.* FROM medications m
     WHERE m.tenant_id = $1 AND m.patient_id = $2 AND m.id = $3
       AND EXISTS (SELECT 1 FROM patient_access a
                    WHERE a.tenant_id = $1 AND a.patient_id = m.patient_id AND a.user_id = $4
                      AND (a.expires_at IS NULL OR a.expires_at > now()))
"""
_INSERT_DOSE = """
    INSERT INTO medication_administrations (tenant_id, id, patient_id, medication_id,
        scheduled_for, dose_at, given_at, outcome, note, late, recorded_by, recorded_at)
    VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $6)
    RETURNING *
"""


@post("/patients/{patient_id:uuid}/medicines/dose", media_type=MediaType.HTML, status_code=200)
async def record_dose(
    request: Request,
    state: State,
    patient_id: uuid.UUID,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> str:
    """Recording a scheduled dose as given, as htmx posts it: the medicine (visible to the
    person), one INSERT, Tend's partial back. No CSRF, session, rules, lock or audit."""
    async with state.patients_pool.acquire() as conn:
        me = await _me(state, conn, request)
        medicine_id = uuid.UUID(data["medication_id"])
        scheduled = datetime.fromisoformat(data["scheduled_for"])
        found = await conn.fetchrow(_DOSE_MEDICINE, me.tenant_id, patient_id, medicine_id,
                                    me.user_id)  # fmt: skip
        if found is None:
            raise NotFoundException()
        medicine = Row(found)
        now = datetime.now(UTC)
        outcome = data.get("outcome", "given")
        row = Row(
            await conn.fetchrow(
                _INSERT_DOSE,
                me.tenant_id,
                new_id(),
                patient_id,
                medicine_id,
                scheduled,
                now,
                outcome,
                data.get("note", "").strip(),
                is_late(scheduled, now, me.dose_window_minutes),
                me.user_id,
            )
        )
    patient = ChosenPatient(patient_id, "", False)
    context = {
        **patient_frame(me, patient, "medications"),
        "key": dose_key(medicine.id, row.scheduled_for),
        "medicine": medicine_view(medicine, me.zone),  # type: ignore[arg-type]
        "record": record_view(row, me.zone, {me.user_id: me.display_name}),  # type: ignore[arg-type]
        "scheduled_label": medicine_time(row.scheduled_for, me.zone),
    }
    request.scope["auth"] = me  # type: ignore[typeddict-unknown-key]
    return state.templates.get_template("medications/partials/_dose_done.html").render(
        request=request, **context
    )


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
        route_handlers=[home, patients, patient_today, record_dose, readyz],
        lifespan=[pool],
        state=State(
            {
                "templates": environment(),
                "master": MasterKeys(current=parse_key(master, "TEND_MASTER_KEY"))
                if master
                else None,
                "tenants": {},
                "list_scopes": {},
                "bound": {},
                "people": {},
            }
        ),
        openapi_config=None,
        debug=False,
    )
