"""The Today card and its in-place form, the latest scores of many patients, demo data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.db.models.vitals import VitalsObservation
from app.db.tenancy import bind_tenant
from app.domain.identity.access import AccessScope
from app.domain.keys.keyring import Keyring
from app.domain.patients.chosen import ChosenPatient
from app.domain.vitals.demo import seed_demo
from app.domain.vitals.forms import Measured
from app.domain.vitals.news2 import Consciousness
from app.domain.vitals.services import observation_row
from app.domain.vitals.today import latest_scores, today_section
from tests.factories import make_patient, scope_for, sign_in
from tests.integration.vitals.conftest import NORMAL, Ward, post


def _scope(ward: Ward, user_id, role: Role) -> AccessScope:  # type: ignore[no-untyped-def]
    return scope_for(ward.tenant.id, user_id, role)


def _measured(taken_at: datetime, **values: object) -> Measured:
    base: dict[str, object] = {
        "taken_at": taken_at,
        "respiration_rate": 16,
        "spo2": 97,
        "on_oxygen": False,
        "systolic": 125,
        "diastolic": 80,
        "pulse": 72,
        "consciousness": Consciousness.ALERT,
        "temperature": Decimal("36.8"),
        "weight": None,
        "glucose": None,
    }
    base.update(values)
    return Measured(**base)  # type: ignore[arg-type]


async def _add(db: AsyncSession, ward: Ward, patient_id, measured: Measured) -> None:  # type: ignore[no-untyped-def]
    await bind_tenant(db, ward.tenant.id)
    db.add(observation_row(ward.tenant.id, patient_id, ward.carer.id, measured, 1))
    await db.flush()


def _chosen(ward: Ward) -> ChosenPatient:
    return ChosenPatient(ward.patient.id, "Edith Weston", False)


async def test_today_section_with_no_vitals_says_a_set_is_due(
    db_session: AsyncSession, ward: Ward
) -> None:
    me = _scope(ward, ward.carer.id, Role.CARER)
    section = await today_section(db_session, me, _chosen(ward), datetime.now(UTC))
    assert section["latest"] is None and section["score"] is None
    assert section["due"] == "No vitals yet — record the first set."


async def test_today_section_shows_the_latest_score_and_when(
    db_session: AsyncSession, ward: Ward
) -> None:
    # Midday, so that "half an hour ago" and "45 minutes on" are the same day whenever the
    # test runs (run at 00:10, the set was yesterday's and the card said none today).
    now = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=0, second=0)
    await _add(db_session, ward, ward.patient.id, _measured(now - timedelta(days=1)))
    five = _measured(
        now - timedelta(minutes=30), respiration_rate=21, pulse=111, temperature=Decimal("38.1")
    )
    await _add(db_session, ward, ward.patient.id, five)
    me = _scope(ward, ward.carer.id, Role.CARER)
    section = await today_section(db_session, me, _chosen(ward), now)
    score = section["score"]["score"]
    assert (score["total"], score["risk"], score["word"]) == ("5", "medium", "Medium")
    assert section["score_is_latest"] is True
    assert section["due"] is None  # taken today, and less than an hour ago
    later = await today_section(db_session, me, _chosen(ward), now + timedelta(minutes=45))
    assert later["due"] is not None and "every hour" in later["due"]


async def test_today_section_keeps_the_last_score_when_the_latest_set_is_partial(
    db_session: AsyncSession, ward: Ward
) -> None:
    now = datetime.now(UTC)
    await _add(db_session, ward, ward.patient.id, _measured(now - timedelta(hours=3)))
    partial = _measured(now - timedelta(hours=1), respiration_rate=None, weight=Decimal("60.0"))
    await _add(db_session, ward, ward.patient.id, partial)
    me = _scope(ward, ward.carer.id, Role.CARER)
    section = await today_section(db_session, me, _chosen(ward), now)
    assert section["latest"]["score"]["complete"] is False
    assert section["score"]["score"]["total"] == "0"
    assert section["score_is_latest"] is False


async def test_latest_scores_for_many_patients_in_one_query(
    db_session: AsyncSession, ward: Ward, keyring: Keyring
) -> None:
    other = await make_patient(db_session, keyring, ward.tenant, given="Ida", family="Other")
    empty = await make_patient(db_session, keyring, ward.tenant, given="Ned", family="Nothing")
    now = datetime.now(UTC)
    await _add(db_session, ward, ward.patient.id, _measured(now - timedelta(hours=5), pulse=40))
    await _add(db_session, ward, ward.patient.id, _measured(now - timedelta(hours=1)))
    await _add(db_session, ward, other.id, _measured(now - timedelta(hours=2), pulse=131,
                                                     respiration_rate=25, spo2=91))  # fmt: skip
    ids = [ward.patient.id, other.id, empty.id]
    admin = _scope(ward, ward.admin.id, Role.ADMIN)
    scores = await latest_scores(db_session, admin, ids)
    assert set(scores) == {ward.patient.id, other.id}
    assert (scores[ward.patient.id]["news2"], scores[ward.patient.id]["risk"]) == (0, "low")
    assert (scores[other.id]["news2"], scores[other.id]["risk"]) == (9, "high")
    # A carer sees only the patients granted to them.
    carer = _scope(ward, ward.carer.id, Role.CARER)
    assert set(await latest_scores(db_session, carer, ids)) == {ward.patient.id}
    assert await latest_scores(db_session, carer, []) == {}


async def test_the_today_card_opens_the_form_in_place_and_returns_with_the_score(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    htmx = {"HX-Request": "true"}
    card = await client.get(ward.url + "/today", headers=htmx)
    assert card.status_code == 200
    assert card.text.startswith('<section id="vitals-today"')
    assert 'hx-get="' + ward.url + '/new?return_to=today"' in card.text
    form = await client.get(ward.url + "/new?return_to=today", headers=htmx)
    assert form.status_code == 200
    assert form.text.lstrip().startswith('<form id="vitals-form"')
    assert 'hx-post="' + ward.url + '/new"' in form.text
    assert 'name="return_to" value="today"' in form.text
    assert 'inputmode="numeric"' in form.text and 'inputmode="decimal"' in form.text
    assert 'type="radio" name="consciousness"' in form.text
    refused = await post(client, ward.url + "/new", {"spo2": "120", "return_to": "today"}, **htmx)
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith('<form id="vitals-form"')
    saved = await post(client, ward.url + "/new", {**NORMAL, "return_to": "today"}, **htmx)
    assert saved.status_code == 200
    assert saved.text.startswith('<section id="vitals-today"')
    assert "NEWS2 0" in saved.text
    assert "toast" in saved.headers["HX-Trigger"]
    # Without JavaScript, the same form goes back to the Today page.
    plain = await post(client, ward.url + "/new", {**NORMAL, "return_to": "today"})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/patients/{ward.patient.id}/today"


async def test_seed_demo_gives_a_week_with_one_patient_drifting_to_5(
    db_session: AsyncSession, ward: Ward, keyring: Keyring
) -> None:
    other = await make_patient(db_session, keyring, ward.tenant, given="Ida", family="Other")
    now = datetime.now(UTC)
    await bind_tenant(db_session, ward.tenant.id)
    await seed_demo(db_session, ward.tenant.id, [ward.patient.id, other.id], [ward.carer.id], now)
    for patient_id in (ward.patient.id, other.id):
        count = await db_session.scalar(
            select(func.count())
            .select_from(VitalsObservation)
            .where(VitalsObservation.patient_id == patient_id)
        )
        assert 7 * 2 - 2 <= int(count or 0) <= 7 * 3
    admin = _scope(ward, ward.admin.id, Role.ADMIN)
    scores = await latest_scores(db_session, admin, [ward.patient.id, other.id])
    assert (scores[ward.patient.id]["news2"], scores[ward.patient.id]["risk"]) == (5, "medium")
    assert scores[other.id]["news2"] <= 4
    first = await db_session.scalar(
        select(VitalsObservation.news2)
        .where(VitalsObservation.patient_id == ward.patient.id)
        .order_by(VitalsObservation.taken_at)
        .limit(1)
    )
    assert first == 0
