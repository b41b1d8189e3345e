"""The care plan: adding, editing (versions kept), stopping (history kept), who may."""

from __future__ import annotations

from datetime import UTC, datetime, time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.db.models.tasks import CareTask, CareTaskVersion
from app.db.tenancy import bind_tenant
from tests.factories import grant_access, make_person, sign_in
from tests.integration.tasks.conftest import Team, add_task, audit_count, last_audit, post

FORM = {
    "title": "Fluids chart",
    "details": "Offer a drink, note how much.",
    "times": ["09:00", "13:00", ""],
    "repeat": "weekly",
    "days": ["0", "2", "4"],
    "every_days": "",
    "start_date": "2026-01-05",
    "end_date": "",
    "assignee": "",
}


def today_iso() -> str:
    return datetime.now(UTC).date().isoformat()


async def stored(db: AsyncSession, team: Team) -> list[CareTask]:
    await bind_tenant(db, team.tenant.id)
    statement = (
        select(CareTask)
        .where(CareTask.patient_id == team.patient.id)
        .execution_options(populate_existing=True)
    )
    return list(await db.scalars(statement))


async def test_empty_plan_says_what_to_do(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await client.get(f"/patients/{team.patient.id}/tasks")
    assert response.status_code == 200
    assert "No care-plan tasks yet — add the first one." in response.text
    assert "Ada Lovelace" in response.text
    assert f'href="/patients/{team.patient.id}/tasks/new"' in response.text
    assert await audit_count(db_session, team.tenant, "task.list") == 1


async def test_carer_adds_a_task_and_sees_it_in_words(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    form = {**FORM, "start_date": today_iso()}
    response = await post(client, f"/patients/{team.patient.id}/tasks/new", form)
    assert response.status_code == 303, response.text
    [task] = await stored(db_session, team)
    assert task.title == "Fluids chart"
    assert task.times == [time(9), time(13)]
    assert task.days_of_week == [0, 2, 4]
    assert task.every_days is None
    assert task.created_by == team.carer.id
    event = await last_audit(db_session, team.tenant, "task.create")
    assert event.patient_id == team.patient.id
    assert event.object_id == str(task.id)

    page = await client.get(response.headers["location"])
    assert "Task added to the care plan." in page.text
    assert "On Monday, Wednesday, and Friday at 9:00\u202fAM and 1:00\u202fPM" in page.text


async def test_invalid_form_comes_back_with_what_was_typed(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    form = {**FORM, "title": "", "times": ["25:99"], "days": [], "details": "Keep me"}
    response = await post(client, f"/patients/{team.patient.id}/tasks/new", form)
    assert response.status_code == 422
    assert "Enter what needs doing" in response.text
    assert "Enter each time as hours and minutes" in response.text
    assert "Choose at least one day of the week." in response.text
    assert "Keep me" in response.text
    assert await stored(db_session, team) == []


async def test_every_n_days_needs_a_number(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    form = {**FORM, "repeat": "interval", "every_days": "0", "start_date": today_iso()}
    response = await post(client, f"/patients/{team.patient.id}/tasks/new", form)
    assert response.status_code == 422
    assert "Enter a number of days from 1 to 365." in response.text
    form["every_days"] = "7"
    response = await post(client, f"/patients/{team.patient.id}/tasks/new", form)
    assert response.status_code == 303
    [task] = await stored(db_session, team)
    assert (task.every_days, task.days_of_week) == (7, None)


async def test_assignment_only_to_the_patients_own_carers(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    stranger = await make_person(db_session, team.tenant, Role.CARER, name="Sol Stranger")
    await sign_in(client, db_session, team.tenant, team.carer)
    url = f"/patients/{team.patient.id}/tasks/new"
    page = await client.get(url)
    assert "Cara Carer" in page.text and "Alma Admin" in page.text
    assert "Sol Stranger" not in page.text
    assert "Otto Observer" not in page.text

    for outsider in (stranger, team.observer):
        form = {**FORM, "start_date": today_iso(), "assignee": str(outsider.id)}
        response = await post(client, url, form)
        assert response.status_code == 422
        assert "Choose someone from this patient&#39;s care team" in response.text

    await grant_access(db_session, team.tenant, team.patient, stranger)
    await db_session.commit()
    form = {**FORM, "start_date": today_iso(), "assignee": str(stranger.id)}
    assert (await post(client, url, form)).status_code == 303
    form["assignee"] = str(team.admin.id)
    assert (await post(client, url, form)).status_code == 303
    assignees = {t.assignee_id for t in await stored(db_session, team)}
    assert assignees == {stranger.id, team.admin.id}


async def test_edit_keeps_earlier_versions(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    task = await add_task(db_session, team, title="Walk")
    await sign_in(client, db_session, team.tenant, team.carer)
    form = await client.get(f"/patients/{team.patient.id}/tasks/{task.id}/edit")
    assert form.status_code == 200
    assert 'value="Walk"' in form.text
    changed = {**FORM, "title": "Evening walk", "start_date": task.start_date.isoformat()}
    response = await post(client, f"/patients/{team.patient.id}/tasks/{task.id}/edit", changed)
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("done=updated")

    await bind_tenant(db_session, team.tenant.id)
    versions = (
        await db_session.scalars(
            select(CareTaskVersion)
            .where(CareTaskVersion.task_id == task.id)
            .order_by(CareTaskVersion.version)
        )
    ).all()
    assert [(v.version, v.title) for v in versions] == [(1, "Walk"), (2, "Evening walk")]
    assert versions[1].changed_by == team.carer.id
    event = await last_audit(db_session, team.tenant, "task.update")
    assert event.detail["version"] == 2

    page = await client.get(f"/patients/{team.patient.id}/tasks/{task.id}")
    assert "Version 1, by Cara Carer" in page.text
    assert "Version 2, by Cara Carer" in page.text

    same = await post(client, f"/patients/{team.patient.id}/tasks/{task.id}/edit", changed)
    assert same.headers["location"].endswith("done=unchanged")


async def test_stop_keeps_the_task_and_its_history(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    task = await add_task(db_session, team, title="Night check")
    await sign_in(client, db_session, team.tenant, team.admin)
    url = f"/patients/{team.patient.id}/tasks/{task.id}/stop"
    assert (await client.get(url)).status_code == 200
    response = await post(client, url, {"reason": "Sleeping through now"})
    assert response.status_code == 303
    [kept] = await stored(db_session, team)
    assert kept.stopped_at is not None and kept.stopped_by == team.admin.id
    assert kept.stop_reason == "Sleeping through now"
    assert (await last_audit(db_session, team.tenant, "task.stop")).object_id == str(task.id)

    page = await client.get(f"/patients/{team.patient.id}/tasks")
    assert "1 stopped task" in page.text
    assert "No care-plan tasks yet" in page.text
    edit = await client.get(f"/patients/{team.patient.id}/tasks/{task.id}/edit")
    assert edit.status_code == 303


async def test_observer_reads_the_plan_without_controls_and_cannot_write(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    task = await add_task(db_session, team, title="Walk")
    await sign_in(client, db_session, team.tenant, team.observer)
    base = f"/patients/{team.patient.id}/tasks"
    for page in ("", "/today", f"/{task.id}", "/history"):
        response = await client.get(base + page)
        assert response.status_code == 200, page
        assert "/new" not in response.text
        assert 'method="post"' not in response.text
        assert "/edit" not in response.text
    for page in ("/new", f"/{task.id}/edit", f"/{task.id}/stop"):
        assert (await client.get(base + page)).status_code == 403
    writes = {
        "/new": FORM,
        f"/{task.id}/edit": FORM,
        f"/{task.id}/stop": {"reason": ""},
        f"/{task.id}/done": {"at": "2026-01-05T08:00:00+00:00", "outcome": "done"},
        f"/{task.id}/completions/{task.id}/undo": {},
    }
    for path, fields in writes.items():
        assert (await post(client, base + path, fields)).status_code == 403, path
    assert await audit_count(db_session, team.tenant, "task.create") == 0


async def test_carer_without_a_grant_gets_404(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    task = await add_task(db_session, team)
    other = await make_person(db_session, team.tenant, Role.CARER, name="Una Ungranted")
    await sign_in(client, db_session, team.tenant, other)
    base = f"/patients/{team.patient.id}/tasks"
    for page in ("", "/today", "/history", "/new", f"/{task.id}", f"/{task.id}/edit"):
        response = await client.get(base + page)
        assert response.status_code == 404, page
        assert "Lovelace" not in response.text
    response = await post(client, base + "/new", {**FORM, "start_date": today_iso()})
    assert response.status_code == 404
    response = await post(
        client, f"{base}/{task.id}/done", {"at": "2026-01-05T08:00:00+00:00", "outcome": "done"}
    )
    assert response.status_code == 404


async def test_a_task_of_another_patient_is_not_in_this_plan(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, keyring
) -> None:
    from tests.factories import make_patient

    other = await make_patient(db_session, keyring, team.tenant, given="Bo", family="Other")
    task = await add_task(db_session, team, patient=other)
    await sign_in(client, db_session, team.tenant, team.admin)
    response = await client.get(f"/patients/{team.patient.id}/tasks/{task.id}")
    assert response.status_code == 410
    assert "Not in this care plan" in response.text


async def test_archived_patient_takes_no_new_tasks(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    team.patient.archived_at = datetime.now(UTC)
    await db_session.flush()
    await sign_in(client, db_session, team.tenant, team.admin)
    page = await client.get(f"/patients/{team.patient.id}/tasks")
    assert page.status_code == 200
    assert "/tasks/new" not in page.text
    response = await post(
        client, f"/patients/{team.patient.id}/tasks/new", {**FORM, "start_date": today_iso()}
    )
    assert response.status_code == 403


async def test_editing_keeps_an_assignee_who_has_left_the_team(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    leaver = await make_person(db_session, team.tenant, Role.CARER, name="Lee Leaver")
    task = await add_task(db_session, team, title="Walk", assignee=leaver)
    await sign_in(client, db_session, team.tenant, team.carer)
    url = f"/patients/{team.patient.id}/tasks/{task.id}/edit"
    form = await client.get(url)
    assert f'<option value="{leaver.id}" selected>Lee Leaver</option>' in form.text
    changed = {
        **FORM,
        "title": "Evening walk",
        "start_date": task.start_date.isoformat(),
        "assignee": str(leaver.id),
    }
    assert (await post(client, url, changed)).status_code == 303
    [kept] = await stored(db_session, team)
    assert kept.assignee_id == leaver.id
