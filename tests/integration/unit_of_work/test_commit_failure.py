"""A write whose COMMIT fails is never answered as saved: 503, "Not saved", no toast or
redirect, and nothing stored — for every kind of write Tend takes.

Each test arms a deferred constraint trigger (see conftest) on the table the write goes
to, so every statement of the request succeeds and only its COMMIT fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.integration.unit_of_work.conftest import HTMX, ZONE, Home, count, signed_in

FailAtCommit = Callable[[str], Awaitable[None]]
NO_FILE = {"photo": ("", b"", "application/octet-stream")}


def assert_not_saved(response: httpx.Response, *, htmx: bool = False) -> None:
    """The answer to a write that did not happen: says so, and nothing says saved."""
    assert response.status_code == 503, response.text[:500]
    assert "Not saved — please try again" in response.text
    assert "location" not in response.headers  # no POST-then-redirect to a "saved" page
    assert "hx-redirect" not in response.headers
    assert "hx-trigger" not in response.headers  # no "saved" toast, no refresh events
    assert "?done=" not in response.text
    if htmx:
        # Into the toast region: the form, and what was typed in it, stay on the page.
        assert response.headers["hx-retarget"] == "#toasts"
        assert "<html" not in response.text
    else:
        assert "<html" in response.text


async def audits(db: AsyncSession, home: Home, action: str) -> int:
    return await count(
        db,
        home,
        "SELECT count(*) FROM audit_events WHERE tenant_id = :tenant AND action = :action",
        action=action,
    )


async def test_a_care_note_whose_commit_fails_is_not_saved(
    committed_client: httpx.AsyncClient,
    committed_db: AsyncSession,
    home: Home,
    fail_at_commit: FailAtCommit,
) -> None:
    headers = await signed_in(committed_client, committed_db, home, home.carer)
    await fail_at_commit("care_notes")
    fields = {"category": "meals_fluids", "text": "Ate all of her lunch."}
    for htmx in (False, True):
        response = await committed_client.post(
            f"{home.patient_url}/notes",
            data={**fields, "place": "list"} if htmx else fields,
            files=NO_FILE,
            headers=headers | HTMX if htmx else headers,
        )
        assert_not_saved(response, htmx=htmx)
    sql = "SELECT count(*) FROM care_notes WHERE tenant_id = :tenant"
    assert await count(committed_db, home, sql) == 0
    assert await audits(committed_db, home, "note.create") == 0


async def test_a_dose_whose_commit_fails_is_not_recorded(
    committed_client: httpx.AsyncClient,
    committed_db: AsyncSession,
    home: Home,
    fail_at_commit: FailAtCommit,
) -> None:
    headers = await signed_in(committed_client, committed_db, home, home.carer)
    await fail_at_commit("medication_administrations")
    yesterday_eight = home.task_due - timedelta(days=1)  # 08:00 on the care home's clock
    fields = {
        "medication_id": str(home.medicine.id),
        "scheduled_for": yesterday_eight.isoformat(),
        "outcome": "given",
        "given_time": "08:10",
    }
    for htmx in (False, True):
        response = await committed_client.post(
            f"{home.patient_url}/medicines/dose",
            data=fields,
            headers=headers | HTMX if htmx else headers,
        )
        assert_not_saved(response, htmx=htmx)
        assert "Dose recorded" not in response.text
    sql = "SELECT count(*) FROM medication_administrations WHERE tenant_id = :tenant"
    assert await count(committed_db, home, sql) == 0
    assert await audits(committed_db, home, "dose.record") == 0


NORMAL_VITALS = {
    "respiration_rate": "16",
    "spo2": "97",
    "oxygen": "air",
    "systolic": "125",
    "diastolic": "80",
    "pulse": "72",
    "consciousness": "A",
    "temperature": "36.8",
}


async def test_vitals_whose_commit_fails_are_not_recorded(
    committed_client: httpx.AsyncClient,
    committed_db: AsyncSession,
    home: Home,
    fail_at_commit: FailAtCommit,
) -> None:
    headers = await signed_in(committed_client, committed_db, home, home.carer)
    await fail_at_commit("vitals_observations")
    # The time the form fills in: now, on the care home's clock.
    taken_at = datetime.now(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")
    response = await committed_client.post(
        f"{home.patient_url}/vitals/new",
        data={**NORMAL_VITALS, "taken_at": taken_at},
        headers=headers,
    )
    assert_not_saved(response)
    sql = "SELECT count(*) FROM vitals_observations WHERE tenant_id = :tenant"
    assert await count(committed_db, home, sql) == 0
    assert await audits(committed_db, home, "vitals.record") == 0


async def test_a_task_tick_whose_commit_fails_is_not_recorded(
    committed_client: httpx.AsyncClient,
    committed_db: AsyncSession,
    home: Home,
    fail_at_commit: FailAtCommit,
) -> None:
    headers = await signed_in(committed_client, committed_db, home, home.carer)
    await fail_at_commit("care_task_completions")
    response = await committed_client.post(
        f"{home.patient_url}/tasks/{home.task.id}/done",
        data={"at": home.task_due.isoformat(), "outcome": "done"},
        headers=headers | HTMX,
    )
    assert_not_saved(response, htmx=True)
    assert "Task done" not in response.text
    sql = "SELECT count(*) FROM care_task_completions WHERE tenant_id = :tenant"
    assert await count(committed_db, home, sql) == 0
    assert await audits(committed_db, home, "task.done") == 0


async def test_acknowledging_or_resolving_an_alert_whose_commit_fails_changes_nothing(
    committed_client: httpx.AsyncClient,
    committed_db: AsyncSession,
    home: Home,
    fail_at_commit: FailAtCommit,
) -> None:
    headers = await signed_in(committed_client, committed_db, home, home.carer)
    await fail_at_commit("alerts")
    attempts: list[tuple[str, dict[str, Any], bool]] = [
        ("acknowledge", {"note": "On my way"}, False),
        ("acknowledge", {"note": "On my way"}, True),
        ("resolve", {"note": "GP called, seen"}, False),
        ("resolve", {"note": "GP called, seen"}, True),
    ]
    for action, fields, htmx in attempts:
        response = await committed_client.post(
            f"/alerts/{home.alert_id}/{action}",
            data=fields,
            headers=headers | HTMX if htmx else headers,
        )
        assert_not_saved(response, htmx=htmx)
    sql = "SELECT count(*) FROM alerts WHERE tenant_id = :tenant AND state = 'open'"
    assert await count(committed_db, home, sql) == 1
    assert await audits(committed_db, home, "alert.acknowledge") == 0
    assert await audits(committed_db, home, "alert.resolve") == 0


async def test_adding_a_patient_whose_commit_fails_adds_nobody(
    committed_client: httpx.AsyncClient,
    committed_db: AsyncSession,
    home: Home,
    fail_at_commit: FailAtCommit,
) -> None:
    headers = await signed_in(committed_client, committed_db, home, home.admin)
    await fail_at_commit("patients")
    fields = {"given_name": "Margaret", "family_name": "Hamilton", "date_of_birth": "1936-08-17"}
    response = await committed_client.post(
        "/patients/new", data=fields, files=NO_FILE, headers=headers
    )
    assert_not_saved(response)
    sql = "SELECT count(*) FROM patients WHERE tenant_id = :tenant"
    assert await count(committed_db, home, sql) == 1  # Ada alone
    assert await audits(committed_db, home, "patient.create") == 0


async def test_editing_a_patient_whose_commit_fails_changes_nothing(
    committed_client: httpx.AsyncClient,
    committed_db: AsyncSession,
    home: Home,
    fail_at_commit: FailAtCommit,
) -> None:
    headers = await signed_in(committed_client, committed_db, home, home.admin)
    sql = "SELECT count(*) FROM patients WHERE tenant_id = :tenant AND updated_at = :at"
    before = home.patient.updated_at
    assert await count(committed_db, home, sql, at=before) == 1
    await fail_at_commit("patients")
    fields = {"given_name": "Augusta Ada", "family_name": "King"}
    response = await committed_client.post(
        f"{home.patient_url}/edit", data=fields, files=NO_FILE, headers=headers
    )
    assert_not_saved(response)
    assert await count(committed_db, home, sql, at=before) == 1  # not updated
    assert await audits(committed_db, home, "patient.update") == 0


async def test_an_invitation_whose_commit_fails_is_not_made(
    committed_client: httpx.AsyncClient,
    committed_db: AsyncSession,
    home: Home,
    fail_at_commit: FailAtCommit,
) -> None:
    headers = await signed_in(committed_client, committed_db, home, home.admin)
    await fail_at_commit("invites")
    response = await committed_client.post(
        "/staff/invite", data={"email": "new.carer@example.com", "role": "carer"}, headers=headers
    )
    assert_not_saved(response)
    assert "Invitation ready" not in response.text
    assert await count(committed_db, home, "SELECT count(*) FROM invites") == 0
    assert await audits(committed_db, home, "staff.invite") == 0


async def test_a_role_change_whose_commit_fails_changes_nothing(
    committed_client: httpx.AsyncClient,
    committed_db: AsyncSession,
    home: Home,
    fail_at_commit: FailAtCommit,
) -> None:
    headers = await signed_in(committed_client, committed_db, home, home.admin)
    await fail_at_commit("memberships")
    for htmx in (False, True):
        response = await committed_client.post(
            f"/staff/{home.colleague.id}/role",
            data={"role": "observer"},
            headers=headers | HTMX if htmx else headers,
        )
        assert_not_saved(response, htmx=htmx)
    sql = (
        "SELECT count(*) FROM memberships "
        "WHERE tenant_id = :tenant AND user_id = :user AND role = 'carer'"
    )
    assert await count(committed_db, home, sql, user=home.colleague.id) == 1
    assert await audits(committed_db, home, "staff.role_change") == 0
