"""Ticking off: due and overdue, done and skipped in place, a double tick, undo, history."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.db.models.tasks import CareTaskCompletion
from app.db.tenancy import bind_tenant
from tests.factories import make_person, sign_in
from tests.integration.tasks.conftest import Team, add_task, audit_count, last_audit, post

# Wednesday 10 June 2026, London on summer time (UTC+1): 08:00 there is 07:00 UTC.
EIGHT = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
EIGHT_PM = datetime(2026, 6, 10, 19, 0, tzinfo=UTC)
CREATED = datetime(2026, 6, 1, tzinfo=UTC)


async def completions(db: AsyncSession, team: Team) -> list[CareTaskCompletion]:
    await bind_tenant(db, team.tenant.id)
    statement = (
        select(CareTaskCompletion)
        .order_by(CareTaskCompletion.id)
        .execution_options(populate_existing=True)
    )
    return list(await db.scalars(statement))


def row_of(html: str, row_id: str) -> str:
    match = re.search(rf'<li id="{row_id}".*?</li>', html, re.S)
    assert match, f"no row {row_id}"
    return match.group(0)


async def test_due_then_overdue_then_later_order(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    walk = await add_task(
        db_session, team, title="Walk", times=[time(8), time(20)], created_at=CREATED
    )
    drink = await add_task(db_session, team, title="Drink", times=[time(8, 45)], created_at=CREATED)
    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=90))  # 09:30 in London
    page = await client.get(f"/patients/{team.patient.id}/tasks/today")
    assert page.status_code == 200
    html = page.text
    overdue = row_of(html, f"task-{walk.id}-{int(EIGHT.timestamp())}")
    assert "Overdue" in overdue and "⚠" in overdue and "task-row--overdue" in overdue
    assert "8:00" in overdue
    due = row_of(html, f"task-{drink.id}-{int((EIGHT + timedelta(minutes=45)).timestamp())}")
    assert "Due now" in due
    later = row_of(html, f"task-{walk.id}-{int(EIGHT_PM.timestamp())}")
    assert "Later today" in later
    assert html.index("Overdue") < html.index("Due now") < html.index("Later today")
    assert (await last_audit(db_session, team.tenant, "task.list")).detail["view"] == "today"


async def test_tick_done_in_place_with_a_toast_and_history(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    task = await add_task(db_session, team, times=[time(8)], created_at=CREATED)
    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=5))
    response = await post(
        client,
        f"/patients/{team.patient.id}/tasks/{task.id}/done",
        {"at": EIGHT.isoformat(), "outcome": "done"},
        htmx=True,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li id="task-{task.id}-{int(EIGHT.timestamp())}"')
    assert "Done by Cara Carer at" in response.text
    assert "Undo" in response.text
    assert "Task done — undo" in response.headers["HX-Trigger"].encode().decode("unicode_escape")
    [done] = await completions(db_session, team)
    assert (done.outcome, done.recorded_by, done.due_at) == ("done", team.carer.id, EIGHT)
    event = await last_audit(db_session, team.tenant, "task.done")
    assert event.detail["outcome"] == "done"
    assert event.patient_id == team.patient.id

    history = await client.get(f"/patients/{team.patient.id}/tasks/history")
    assert "Done by Cara Carer" in history.text
    assert "Help to reposition" in history.text


async def test_tick_without_javascript_redirects_back(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    task = await add_task(db_session, team, times=[time(8)], created_at=CREATED)
    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=5))
    today = f"/patients/{team.patient.id}/today"
    response = await post(
        client,
        f"/patients/{team.patient.id}/tasks/{task.id}/done",
        {"at": EIGHT.isoformat(), "outcome": "done", "next": today},
    )
    assert response.status_code == 303
    assert response.headers["location"] == today
    response = await post(
        client,
        f"/patients/{team.patient.id}/tasks/{task.id}/done",
        {"at": EIGHT.isoformat(), "outcome": "done", "next": "https://evil.example/"},
    )
    assert response.status_code == 409  # already done; and never sent elsewhere


async def test_skip_needs_a_note(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    task = await add_task(db_session, team, times=[time(8)], created_at=CREATED)
    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=5))
    url = f"/patients/{team.patient.id}/tasks/{task.id}/done"
    response = await post(client, url, {"at": EIGHT.isoformat(), "outcome": "skipped"}, htmx=True)
    assert response.status_code == 422
    assert "Say why it was skipped" in response.text
    assert '<details class="task-skip" open>' in response.text
    assert await completions(db_session, team) == []

    plain = await post(client, url, {"at": EIGHT.isoformat(), "outcome": "skipped", "note": "  "})
    assert plain.status_code == 422
    assert "Say why it was skipped" in plain.text

    response = await post(
        client,
        url,
        {"at": EIGHT.isoformat(), "outcome": "skipped", "note": "Asleep, will try at 9"},
        htmx=True,
    )
    assert response.status_code == 200
    assert "Skipped by Cara Carer" in response.text
    assert "Asleep, will try at 9" in response.text
    [skipped] = await completions(db_session, team)
    assert (skipped.outcome, skipped.note) == ("skipped", "Asleep, will try at 9")
    assert (await last_audit(db_session, team.tenant, "task.done")).detail["outcome"] == "skipped"


async def test_double_tick_is_refused_cleanly(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    task = await add_task(db_session, team, times=[time(8)], created_at=CREATED)
    colleague = await make_person(db_session, team.tenant, Role.ADMIN, name="Alex Admin")
    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=5))
    url = f"/patients/{team.patient.id}/tasks/{task.id}/done"
    fields = {"at": EIGHT.isoformat(), "outcome": "done"}
    assert (await post(client, url, fields, htmx=True)).status_code == 200
    second = await post(client, url, fields, htmx=True)
    assert second.status_code == 409
    assert "Already recorded by Cara Carer" in second.headers["HX-Trigger"]
    assert "Done by Cara Carer" in second.text
    assert len(await completions(db_session, team)) == 1
    assert await audit_count(db_session, team.tenant, "task.done") == 1

    await sign_in(client, db_session, team.tenant, colleague)
    third = await post(client, url, {**fields, "outcome": "skipped", "note": "x"})
    assert third.status_code == 409
    assert "Already recorded by Cara Carer" in third.text
    assert len(await completions(db_session, team)) == 1


async def test_undo_keeps_the_record_and_reopens_the_task(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    task = await add_task(db_session, team, times=[time(8)], created_at=CREATED)
    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=5))
    url = f"/patients/{team.patient.id}/tasks/{task.id}/done"
    await post(client, url, {"at": EIGHT.isoformat(), "outcome": "done"}, htmx=True)
    [done] = await completions(db_session, team)
    undo = f"/patients/{team.patient.id}/tasks/{task.id}/completions/{done.id}/undo"

    frozen(EIGHT + timedelta(minutes=7))
    response = await post(client, undo, {}, htmx=True)
    assert response.status_code == 200
    assert "Undone" in response.headers["HX-Trigger"]
    assert "Overdue" not in response.text and "Due now" in response.text
    [kept] = await completions(db_session, team)
    assert kept.undone_at is not None and kept.undone_by == team.carer.id
    assert (await last_audit(db_session, team.tenant, "task.done")).detail["outcome"] == "undone"

    # Open again: it can be ticked once more, and the history shows both.
    again = await post(client, url, {"at": EIGHT.isoformat(), "outcome": "done"}, htmx=True)
    assert again.status_code == 200
    assert len(await completions(db_session, team)) == 2
    history = await client.get(f"/patients/{team.patient.id}/tasks/history")
    assert "Undone by Cara Carer" in history.text


async def test_undo_only_soon_and_only_by_who_recorded_it(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    task = await add_task(db_session, team, times=[time(8)], created_at=CREATED)
    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=5))
    await post(
        client,
        f"/patients/{team.patient.id}/tasks/{task.id}/done",
        {"at": EIGHT.isoformat(), "outcome": "done"},
    )
    [done] = await completions(db_session, team)
    undo = f"/patients/{team.patient.id}/tasks/{task.id}/completions/{done.id}/undo"

    await sign_in(client, db_session, team.tenant, team.admin)
    assert (await post(client, undo, {}, htmx=True)).status_code == 409

    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=30))
    late = await post(client, undo, {}, htmx=True)
    assert late.status_code == 409
    assert "no longer be undone" in late.headers["HX-Trigger"]
    assert "Undo" not in late.text
    [still] = await completions(db_session, team)
    assert still.undone_at is None


async def test_an_occurrence_not_in_the_schedule_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    task = await add_task(db_session, team, times=[time(8)], created_at=CREATED)
    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=5))
    url = f"/patients/{team.patient.id}/tasks/{task.id}/done"
    for at in (
        (EIGHT + timedelta(minutes=1)).isoformat(),  # not one of its times
        (EIGHT + timedelta(days=2)).isoformat(),  # days away
        "yesterday",
        "",
    ):
        response = await post(client, url, {"at": at, "outcome": "done"})
        assert response.status_code == 410, at
    assert await completions(db_session, team) == []


async def test_history_pages_by_key(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    task = await add_task(db_session, team, times=[time(8)], created_at=CREATED)
    await bind_tenant(db_session, team.tenant.id)
    for day in range(35):
        at = CREATED + timedelta(days=day, hours=7)
        db_session.add(
            CareTaskCompletion(
                tenant_id=team.tenant.id,
                task_id=task.id,
                patient_id=team.patient.id,
                due_at=at,
                outcome="done",
                note=f"note {day:02d}",
                recorded_by=team.carer.id,
                recorded_at=at,
            )
        )
    await db_session.commit()
    await sign_in(client, db_session, team.tenant, team.observer)
    first = await client.get(f"/patients/{team.patient.id}/tasks/history")
    assert first.status_code == 200
    assert "note 34" in first.text and "note 05" in first.text and "note 04" not in first.text
    older = re.search(r'href="([^"]*before=[^"]*)"', first.text)
    assert older
    second = await client.get(older.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert second.status_code == 200
    assert second.text.lstrip().startswith('<div id="task-history"')
    assert "note 04" in second.text and "note 00" in second.text and "note 05" not in second.text
    assert "before=" not in second.text
