"""Bad input never answers 5xx: every route, every query parameter and form field it declares.

Routes, their query parameters and their form fields come from the app's own route table
(the kwargs model Litestar builds from each handler's signature, its dependencies' and its
body type), so a new route or field joins by existing; no handler reads a query parameter
it does not declare. Each field is sent, one at a time, a NUL byte, extreme
dates and an oversized integer, while the other fields of its form hold ordinary values,
so that the odd one is the value that reaches the rules and the database. A signed-in
admin and carer send them to records that exist (a patient, a note, a medicine, a task,
a vitals set, an alert, a completion).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from litestar import Litestar
from litestar.enums import RequestEncodingType
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.config import DatabaseSettings, Settings
from app.db.models.alerts import Alert
from app.db.models.care_notes import CareNote
from app.db.models.medications import Medication
from app.db.models.tasks import CareTask, CareTaskCompletion
from app.db.models.vitals import VitalsObservation
from app.db.tenancy import bind_tenant
from tests.conftest import csrf_headers
from tests.factories import sign_in
from tests.integration.test_access_matrix import World, build_world

SKIP_PATHS = {"/static/{path:path}", "/healthz", "/readyz", "/alerts/stream"}
BAD_VALUES = [
    "Ann\x00e",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "99999999999999999999999",
]
NO_FILE = ("", b"", "application/octet-stream")
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date().isoformat()
# Medicines and tasks are made due at a full hour (UTC, the care account's zone) one to
# two hours after this module is imported: a dose and a task occurrence that exist and may
# be recorded when the tests run, minutes later. (The next full hour was too close: a run
# collected at 21:59 made its task at 22:04, after its 22:00 occurrence, so it had none.)
DUE = (NOW + timedelta(hours=2)).replace(minute=0, second=0)

# Ordinary values, by field name, so that a form passes its other checks; a field not
# named here is sent empty.
GOOD = {
    "category": "general",
    "text": "Ate a good breakfast.",
    "name": "Paracetamol",
    "strength": "500 mg",
    "form": "tablet",
    "dose": "1 tablet",
    "route": "oral",
    "starts_on": TODAY,
    "kind": "scheduled",
    "times": DUE.strftime("%H:%M"),
    "days": ["0", "1", "2", "3", "4", "5", "6"],
    "interval_unit": "hours",
    "title": "Help to reposition",
    "repeat": "weekly",
    "start_date": TODAY,
    "taken_at": NOW.strftime("%Y-%m-%dT%H:%M"),
    "respiration_rate": "16",
    "spo2": "97",
    "oxygen": "air",
    "systolic": "125",
    "diastolic": "80",
    "pulse": "72",
    "consciousness": "A",
    "temperature": "36.8",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "date_of_birth": "1941-03-12",
    "outcome": "given",
    "at": DUE.isoformat(),
    "scheduled_for": DUE.isoformat(),
    "severity": "warning",
    "effect": "helped",
    "reason": "Stopped by the GP.",
    "note": "Checked.",
    "role": "carer",
    "email": "someone@example.com",
    "password": "a long enough password",
    "display_name": "Some One",
    "care_account": "Some Care",
    "locale": "en",
    "plan": "complete",
    "idle_timeout_minutes": "30",
    "session_lifetime_hours": "12",
    "dose_window_minutes": "60",
    "escalate_after_minutes": "30",
    "spo2_scale": "1",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    query: tuple[str, ...]
    form: RequestEncodingType | None
    fields: tuple[str, ...]


def _fields(body_type: Any) -> tuple[str, ...]:
    if dataclasses.is_dataclass(body_type):
        return tuple(f.name for f in dataclasses.fields(body_type))
    return tuple(getattr(body_type, "__struct_fields__", ()))


def _route_table() -> list[Route]:
    from app.asgi import create_app

    settings = Settings(
        database=DatabaseSettings(url="postgresql://tend_app@localhost/unused"),
        data_dir=Path(tempfile.mkdtemp(prefix="tend-bad-input-")),
    )
    table = []
    for route in create_app(settings).routes:
        if route.path in SKIP_PATHS:
            continue
        for method, (_handler, kwargs) in getattr(route, "route_handler_map", {}).items():
            if method in {"HEAD", "OPTIONS"}:
                continue
            query = tuple(sorted(p.field_alias for p in kwargs.expected_query_params))
            form, fields = None, ()
            if kwargs.expected_form_data:
                form, field_definition = kwargs.expected_form_data
                fields = _fields(field_definition.annotation)
            table.append(Route(method, route.path, query, form, fields))
    return sorted(table, key=lambda r: (r.path, r.method))


ROUTES = [r for r in _route_table() if r.query or r.fields or re.search(r"\{\w+:str\}", r.path)]


Records = dict[str, str]  # path parameter name → the id of a record that exists


async def _records(client: httpx.AsyncClient, db: AsyncSession, world: World) -> Records:
    """One of each record for the path parameters, made through the app as the admin."""
    base = f"/patients/{world.patients['own']}"
    headers = await csrf_headers(client)
    made = [
        await client.post(f"{base}/notes", data=_form(), files={"photo": NO_FILE}, headers=headers),
        await client.post(f"{base}/medicines/new", data=_form(), headers=headers),
        await client.post(f"{base}/tasks/new", data=_form(), headers=headers),
        await client.post(f"{base}/vitals/new", data=_form(), headers=headers),
        await client.post(f"{base}/alerts/concern", data=_form(), headers=headers),
    ]
    assert all(r.status_code < 400 for r in made), [(r.url, r.status_code) for r in made]
    admin = world.people["admin"]
    assert admin is not None
    await bind_tenant(db, world.home.id, admin.id)
    task = await db.scalar(select(CareTask.id))
    headers = await csrf_headers(client)
    done = await client.post(
        f"{base}/tasks/{task}/done",
        data={"at": DUE.isoformat(), "outcome": "done"},
        headers=headers,
    )
    assert done.status_code < 400, done.status_code
    await bind_tenant(db, world.home.id, admin.id)
    ids = {
        "patient_id": str(world.patients["own"]),
        "note_id": str(await db.scalar(select(CareNote.id))),
        "medication_id": str(await db.scalar(select(Medication.id))),
        "task_id": str(task),
        "set_id": str(await db.scalar(select(VitalsObservation.id))),
        "alert_id": str(await db.scalar(select(Alert.id))),
        "completion_id": str(await db.scalar(select(CareTaskCompletion.id))),
        "user_id": str(world.members["own"]),
    }
    await db.commit()
    return ids


def _form() -> dict[str, Any]:
    """A form for making a record: every ordinary value (each form takes what it knows)."""
    return {name: value for name, value in GOOD.items() if name not in {"at", "outcome"}}


def _url(path: str, records: Records, bad: str | None = None) -> str:
    """The path with the records' ids; `bad` in every free-text path parameter if given."""

    def value(match: re.Match[str]) -> str:
        name, _, kind = match.group(1).partition(":")
        if bad is not None and kind == "str":
            return quote(bad, safe="")
        return records.get(name, str(uuid.uuid4()) if name.endswith("_id") else "x")

    return re.sub(r"\{([^}]+)\}", value, path)


Case = tuple[str, str | None, dict[str, str], dict[str, Any] | None]


def _cases(route: Route) -> list[Case]:
    """(what, bad path value, query, form) for each bad value in each place it can go."""
    cases: list[Case] = []
    baseline = {name: GOOD.get(name, "") for name in route.fields if name != "photo"}
    for bad in BAD_VALUES:
        cases += [(f"?{name}={bad!r}", None, {name: bad}, baseline) for name in route.query]
        cases += [(f"{name}={bad!r}", None, {}, {**baseline, name: bad}) for name in route.fields]
        if re.search(r"\{\w+:str\}", route.path):
            cases.append((f"path {bad!r}", bad, {}, baseline))
    return cases


async def _send(
    client: httpx.AsyncClient, route: Route, url: str, query: dict[str, str], form: Any
) -> httpx.Response:
    headers = await csrf_headers(client)
    if route.method == "GET":
        return await client.get(url, params=query, headers=headers)
    if route.form == RequestEncodingType.MULTI_PART:
        return await client.request(
            route.method, url, params=query, data=form, files={"photo": NO_FILE}, headers=headers
        )
    return await client.request(route.method, url, params=query, data=form or {}, headers=headers)


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
async def test_bad_input_never_answers_a_server_error(
    route: Route,
    app: Litestar,
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    connection: AsyncConnection,
) -> None:
    world = await build_world(db_session, app)
    admin = world.people["admin"]
    assert admin is not None
    await sign_in(client, db_session, world.home, admin)
    records = await _records(client, db_session, world)
    failures: list[str] = []
    for persona in ("admin", "carer_granted"):
        client.cookies.clear()
        person = world.people[persona]
        assert person is not None
        await sign_in(client, db_session, world.home, person)
        for what, in_path, query, form in _cases(route):
            url = _url(route.path, records, in_path)
            savepoint = await connection.begin_nested()
            try:
                response = await _send(client, route, url, query, form)
            finally:
                await savepoint.rollback()
                db_session.expunge_all()
            if response.status_code >= 500:
                failures.append(f"{persona} {route.method} {url} {what} → {response.status_code}")
    assert not failures, "\n".join(failures)
