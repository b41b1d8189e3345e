"""The care plan on other pages: a patient's Today card, counts for many patients, demo data."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Role
from app.db.models.tasks import CareTask, CareTaskCompletion
from app.db.tenancy import bind_tenant
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.tasks.demo import seed_demo
from app.domain.tasks.occurrences import DUE_GRACE, occurrences_of
from app.domain.tasks.today import due_counts, today_section
from app.lib.templates import make_environment
from tests.factories import make_patient, make_person, scope_for, sign_in
from tests.integration.tasks.conftest import ZONE, Team, add_task, post

# Wednesday 10 June 2026 in London (UTC+1): 08:00 there is 07:00 UTC.
EIGHT = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
CREATED = datetime(2026, 6, 1, tzinfo=UTC)


def scope(team: Team, user, role: Role) -> AccessScope:  # type: ignore[no-untyped-def]
    return scope_for(team.tenant.id, user.id, role, display_name=user.display_name, time_zone=ZONE)


def chosen(team: Team) -> ChosenPatient:
    return ChosenPatient(team.patient.id, "Ada Lovelace", archived=False)


async def audit_total(db: AsyncSession, team: Team) -> int:
    await bind_tenant(db, team.tenant.id)
    return int(await db.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def test_today_section_lists_due_and_overdue_and_counts_done(
    db_session: AsyncSession, team: Team
) -> None:
    walk = await add_task(
        db_session, team, title="Walk", times=[time(8), time(20)], created_at=CREATED
    )
    drink = await add_task(db_session, team, title="Drink", times=[time(9)], created_at=CREATED)
    await add_task(db_session, team, title="Weigh", times=[time(7)], created_at=CREATED)
    await bind_tenant(db_session, team.tenant.id)
    db_session.add(
        CareTaskCompletion(
            tenant_id=team.tenant.id,
            task_id=(await db_session.scalar(select(CareTask.id).where(CareTask.title == "Weigh"))),
            patient_id=team.patient.id,
            due_at=EIGHT - timedelta(hours=1),
            outcome="done",
            recorded_by=team.carer.id,
            recorded_at=EIGHT,
        )
    )
    await db_session.flush()
    before = await audit_total(db_session, team)
    now = EIGHT + timedelta(hours=1, minutes=10)  # 09:10 in London
    section = await today_section(
        db_session, scope(team, team.carer, Role.CARER), chosen(team), now
    )
    assert (section["overdue"], section["due"], section["later"], section["done"]) == (1, 1, 1, 1)
    assert [(row["title"], row["state"]) for row in section["rows"]] == [
        ("Walk", "overdue"),
        ("Drink", "due"),
    ]
    assert section["rows"][0]["task_id"] == str(walk.id)
    assert (
        section["rows"][1]["id"]
        == f"task-{drink.id}-{int((EIGHT + timedelta(hours=1)).timestamp())}"
    )
    assert await audit_total(db_session, team) == before  # the Today page audits, not this

    html = (
        make_environment()
        .get_template("tasks/partials/_today.html")
        .render(
            section=section,
            patient={"id": str(team.patient.id), "name": "Ada Lovelace", "archived": False},
            can_write=True,
            csrf_token=lambda: "token",
            request=None,
        )
    )
    assert f'hx-post="/patients/{team.patient.id}/tasks/{walk.id}/done"' in html
    assert 'hx-swap="outerHTML"' in html
    assert f'hx-target="#task-{walk.id}-{int(EIGHT.timestamp())}"' in html
    assert f'name="next" value="/patients/{team.patient.id}/today"' in html
    assert "1 overdue" in html and "1 done" in html

    observer_view = (
        make_environment()
        .get_template("tasks/partials/_today.html")
        .render(
            section=section,
            patient={"id": str(team.patient.id), "name": "Ada Lovelace", "archived": False},
            can_write=False,
            csrf_token=lambda: "token",
            request=None,
        )
    )
    assert "<form" not in observer_view


async def test_due_counts_for_many_patients_in_few_queries(
    db_session: AsyncSession, team: Team, keyring
) -> None:
    other = await make_patient(db_session, keyring, team.tenant, given="Bo", family="Other")
    unseen = await make_patient(db_session, keyring, team.tenant, given="Cy", family="Unseen")
    await add_task(db_session, team, times=[time(8), time(9)], created_at=CREATED)
    await add_task(db_session, team, times=[time(6)], created_at=CREATED, patient=other)
    await add_task(db_session, team, times=[time(6)], created_at=CREATED, patient=unseen)
    from tests.factories import grant_access

    await grant_access(db_session, team.tenant, other, team.carer)
    now = EIGHT + timedelta(hours=1, minutes=10)  # 09:10: 08:00 overdue, 09:00 due

    statements: list[str] = []
    from sqlalchemy import event

    engine = db_session.bind.sync_engine  # type: ignore[union-attr]

    def count(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = await due_counts(
            db_session,
            scope(team, team.carer, Role.CARER),
            [team.patient.id, other.id, unseen.id],
            now,
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts == {
        team.patient.id: {"due": 1, "overdue": 1},
        other.id: {"due": 0, "overdue": 1},
    }
    assert len(statements) <= 3
    admin_counts = await due_counts(
        db_session, scope(team, team.admin, Role.ADMIN), [unseen.id], now
    )
    assert admin_counts == {unseen.id: {"due": 0, "overdue": 1}}
    assert await due_counts(db_session, scope(team, team.carer, Role.CARER), [], now) == {}


async def test_tick_from_the_today_card_returns_to_today(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, frozen
) -> None:
    task = await add_task(db_session, team, times=[time(8)], created_at=CREATED)
    await sign_in(client, db_session, team.tenant, team.carer)
    frozen(EIGHT + timedelta(minutes=10))
    today = f"/patients/{team.patient.id}/today"
    response = await post(
        client,
        f"/patients/{team.patient.id}/tasks/{task.id}/done",
        {"at": EIGHT.isoformat(), "outcome": "done", "next": today},
        htmx=True,
    )
    assert response.status_code == 200
    assert f'name="next" value="{today}"' in response.text


async def test_demo_seeds_tasks_and_a_week_of_completions(
    db_session: AsyncSession, team: Team, keyring
) -> None:
    other = await make_patient(db_session, keyring, team.tenant, given="Bo", family="Other")
    second = await make_person(db_session, team.tenant, Role.CARER, name="Sam Second")
    now = datetime.now(UTC)
    await bind_tenant(db_session, team.tenant.id)
    await seed_demo(
        db_session, team.tenant.id, [team.patient.id, other.id], [team.carer.id, second.id], now
    )
    tasks = (await db_session.scalars(select(CareTask))).all()
    per_patient = {
        pid: sum(t.patient_id == pid for t in tasks) for pid in (team.patient.id, other.id)
    }
    assert all(3 <= n <= 5 for n in per_patient.values())
    done = (await db_session.scalars(select(CareTaskCompletion))).all()
    outcomes = [c.outcome for c in done]
    assert outcomes.count("done") > outcomes.count("skipped") > 0
    assert all(c.note for c in done if c.outcome == "skipped")
    assert min(c.due_at for c in done) >= now - timedelta(days=7, minutes=1)
    assert max(c.due_at for c in done) <= now
    # Some were missed: fewer records than occurrences whose grace has passed.
    owed = occurrences_of(tasks, [], now - timedelta(days=7), now - DUE_GRACE, ZoneInfo(ZONE))
    assert len(done) < len(owed)
    section = await today_section(
        db_session, scope(team, team.admin, Role.ADMIN), chosen(team), now
    )
    assert section["total"] >= 1
