"""The Today card's notes, and the demo care account's week of notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient, Role
from app.db.models.base import new_id
from app.db.models.care_notes import CareNote
from app.domain.care_notes.categories import CATEGORIES
from app.domain.care_notes.demo import seed_demo
from app.domain.care_notes.today import today_section
from app.domain.identity.access import AccessScope
from app.domain.keys.keyring import Keyring
from app.domain.patients.chosen import chosen_patient
from app.lib.templates import make_environment
from tests.factories import make_patient, make_person, scope_for
from tests.integration.patients.conftest import Team

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def scope(team: Team, user_id, role: Role) -> AccessScope:  # type: ignore[no-untyped-def]
    return scope_for(team.tenant.id, user_id, role, session_id=new_id())


async def _note(
    db: AsyncSession, team: Team, patient: Patient, author, at: datetime, text: str, handover: bool
) -> None:  # type: ignore[no-untyped-def]
    db.add(
        CareNote(
            id=new_id(),
            tenant_id=team.tenant.id,
            patient_id=patient.id,
            author_id=author,
            updated_by=author,
            created_at=at,
            updated_at=at,
            category="general",
            body=text,
            handover=handover,
            version=1,
        )
    )
    await db.flush()


async def test_today_shows_handovers_by_others_since_the_last_visit(
    db_session: AsyncSession, keyring: Keyring, team: Team, ada: Patient
) -> None:
    carer, other = team.carer.id, team.admin.id
    await _note(db_session, team, ada, other, NOW - timedelta(hours=30), "Old handover.", True)
    await _note(db_session, team, ada, other, NOW - timedelta(hours=5), "Before visit.", True)
    await _note(db_session, team, ada, other, NOW - timedelta(hours=2), "Fall risk.", True)
    await _note(db_session, team, ada, carer, NOW - timedelta(hours=1), "My own.", True)
    await _note(db_session, team, ada, other, NOW - timedelta(minutes=30), "Just a note.", False)
    me = scope(team, carer, Role.CARER)
    patient = await chosen_patient(db_session, keyring, me, ada.id)

    since_visit = await today_section(db_session, me, patient, NOW - timedelta(hours=3), NOW)
    assert [n["text"] for n in since_visit["handovers"]] == ["Fall risk."]
    assert [n["text"] for n in since_visit["recent"]] == ["Just a note.", "My own.", "Fall risk."]
    assert since_visit["since_last_visit"] is True
    assert since_visit["list_url"] == f"/patients/{ada.id}/notes"

    no_visit = await today_section(db_session, me, patient, None, NOW)
    assert [n["text"] for n in no_visit["handovers"]] == ["Fall risk.", "Before visit."]

    html = (
        make_environment()
        .get_template("care_notes/partials/_today.html")
        .render(section=since_visit, patient={"id": str(ada.id)}, can_write=True)
    )
    assert "Fall risk." in html
    assert f'hx-get="/patients/{ada.id}/notes/new?place=today"' in html


async def test_the_demo_week_has_notes_for_every_patient(
    db_session: AsyncSession, keyring: Keyring, team: Team, app: Litestar
) -> None:
    bob = await make_patient(db_session, keyring, team.tenant, given="Bob", family="Builder")
    cleo = await make_patient(db_session, keyring, team.tenant, given="Cleo", family="Carter")
    second = await make_person(db_session, team.tenant, Role.CARER, name="Second Carer")
    carers = [team.carer.id, second.id]

    await seed_demo(db_session, team.tenant.id, [bob.id, cleo.id], carers, NOW)

    rows = (
        await db_session.execute(
            select(CareNote.patient_id, CareNote.category, CareNote.handover, CareNote.created_at,
                   CareNote.author_id)
            .where(CareNote.tenant_id == team.tenant.id)
        )
    ).all()  # fmt: skip
    for patient in (bob, cleo):
        mine = [row for row in rows if row.patient_id == patient.id]
        assert len(mine) >= 7 * 2
        days = {row.created_at.date() for row in mine}
        assert len(days) >= 6
    assert {row.category for row in rows} <= set(CATEGORIES)
    assert len({row.category for row in rows}) >= 5
    assert any(row.handover for row in rows) and not all(row.handover for row in rows)
    assert {row.author_id for row in rows} == set(carers)
    assert all(NOW - timedelta(days=7) <= row.created_at < NOW for row in rows)
    count = await db_session.scalar(select(func.count()).select_from(CareNote))
    assert count == len(rows)
