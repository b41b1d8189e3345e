"""The alert pages: lists scoped like every patient record, one alert and its history,
acknowledging and resolving, raising a concern; observers read but never act."""

from __future__ import annotations

import uuid

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Patient, Role
from app.db.models.alerts import AlertRead
from app.db.tenancy import bind_tenant
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from app.domain.alerts.unread import unread_count
from tests.factories import make_patient, sign_in
from tests.integration.alerts.conftest import HTMX, Ward, alerts_of, post


async def _raise(
    db: AsyncSession, ward: Ward, kind: Kind = Kind.NEWS2_MEDIUM, **values
) -> uuid.UUID:  # type: ignore[no-untyped-def]
    await bind_tenant(db, ward.tenant.id)
    values.setdefault("params", {"score": 5, "band": "medium", "threes": []})
    alert_id = await raise_alert(
        db, tenant_id=ward.tenant.id, patient_id=ward.patient.id, kind=kind, **values
    )
    assert alert_id is not None
    return alert_id


async def _audits(db: AsyncSession, ward: Ward, action: str) -> int:
    await bind_tenant(db, ward.tenant.id)
    return int(
        await db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.tenant_id == ward.tenant.id, AuditEvent.action == action)
        )
        or 0
    )


async def _receipts(db: AsyncSession, ward: Ward, user_id: uuid.UUID) -> int:
    await bind_tenant(db, ward.tenant.id)
    statement = select(func.count()).select_from(AlertRead).where(AlertRead.user_id == user_id)
    return int(await db.scalar(statement) or 0)


# -- Lists -------------------------------------------------------------------------------


async def test_the_alerts_page_lists_alerts_of_visible_patients_newest_first(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, app: Litestar
) -> None:
    hidden = await make_patient(db_session, app.state.keyring, ward.tenant, given="Hidden")
    await bind_tenant(db_session, ward.tenant.id)
    await raise_alert(
        db_session,
        tenant_id=ward.tenant.id,
        patient_id=hidden.id,
        kind=Kind.TASK_OVERDUE,
        params={"task": "Secret task"},
    )
    await _raise(db_session, ward, Kind.TASK_OVERDUE, params={"task": "Reposition"})
    await sign_in(client, db_session, ward.tenant, ward.carer)

    page = await client.get("/alerts")
    assert page.status_code == 200
    assert "Care-plan task overdue: Reposition" in page.text
    assert "Edith Weston" in page.text
    assert "Secret task" not in page.text
    assert "Hidden" not in page.text
    assert "Information" in page.text  # the severity's word, not only its colour
    assert await _audits(db_session, ward, "alert.list") == 1
    # Listing is not reading: the bell still counts it.
    assert await _receipts(db_session, ward, ward.carer.id) == 0


async def test_the_list_is_filtered_by_state_and_hides_resolved_by_default(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    done = await _raise(db_session, ward, Kind.TASK_OVERDUE, params={"task": "Old task"})
    await _raise(db_session, ward, Kind.TASK_OVERDUE, params={"task": "New task"})
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await post(client, f"/alerts/{done}/resolve", {"note": "Done at 10:00"})

    default = (await client.get("/alerts")).text
    assert "New task" in default and "Old task" not in default
    resolved = (await client.get("/alerts?state=resolved")).text
    assert "Old task" in resolved and "New task" not in resolved
    every = (await client.get(f"{ward.alerts_url}?state=all")).text
    assert "Old task" in every and "New task" in every
    nonsense = (await client.get("/alerts?state=bogus")).text
    assert "New task" in nonsense and "Old task" not in nonsense


async def test_the_list_pages_by_keyset(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    for number in range(21):
        await _raise(db_session, ward, Kind.CONCERN, detail=f"Concern {number}")
    await sign_in(client, db_session, ward.tenant, ward.carer)

    first = await client.get(ward.alerts_url)
    assert first.text.count('class="alert-row ') == 20
    assert "Older alerts" in first.text
    after = first.text.split("after=")[1].split('"')[0]
    second = await client.get(f"{ward.alerts_url}?after={after}")
    assert second.text.count('class="alert-row ') == 1
    assert "Newest alerts" in second.text


async def test_an_empty_list_says_so(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    page = await client.get(ward.alerts_url)
    assert page.status_code == 200
    assert "No alerts need attention" in page.text


async def test_escalated_alerts_are_marked_for_admins(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await _raise(db_session, ward, Kind.NEWS2_HIGH, params={"score": 8, "band": "high"})
    await sign_in(client, db_session, ward.tenant, ward.admin)
    page = await client.get("/alerts?state=escalated")
    assert "NEWS2 of 8 — high risk" in page.text
    assert "Escalated" in page.text
    assert "Response times" in page.text


# -- One alert ---------------------------------------------------------------------------


async def test_opening_an_alert_shows_its_history_and_reads_it(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    alert_id = await _raise(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    me = ward.scope(ward.carer, Role.CARER)
    assert await unread_count(db_session, me) == 1

    page = await client.get(f"/alerts/{alert_id}")
    assert page.status_code == 200
    assert "NEWS2 of 5 — medium risk" in page.text
    assert "Raised by Tend" in page.text
    assert "Urgent" in page.text
    assert await unread_count(db_session, me) == 0
    await client.get(f"/alerts/{alert_id}")  # a second visit adds no second receipt
    assert await _receipts(db_session, ward, ward.carer.id) == 1
    assert await _audits(db_session, ward, "alert.view") == 2


async def test_a_carer_without_a_grant_gets_404_for_the_patients_alert(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    alert_id = await _raise(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.stranger)

    assert (await client.get(f"/alerts/{alert_id}")).status_code == 404
    assert (await post(client, f"/alerts/{alert_id}/acknowledge", {})).status_code == 404
    assert (await post(client, f"/alerts/{alert_id}/resolve", {"note": "x"})).status_code == 404
    assert "NEWS2" not in (await client.get("/alerts")).text
    assert (await client.get(ward.alerts_url)).status_code == 404
    (alert,) = await alerts_of(db_session, ward)
    assert alert.state == "open"


async def test_an_unknown_alert_is_404(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    assert (await client.get(f"/alerts/{uuid.uuid4()}")).status_code == 404
    assert (await client.get("/alerts/not-an-id")).status_code == 404


# -- Acknowledging and resolving ---------------------------------------------------------


async def test_a_carer_acknowledges_then_resolves_with_notes(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    alert_id = await _raise(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)

    ack = await post(client, f"/alerts/{alert_id}/acknowledge", {"note": "On my way"})
    assert ack.status_code == 303
    assert ack.headers["location"] == f"/alerts/{alert_id}?done=acknowledged"
    (alert,) = await alerts_of(db_session, ward)
    assert (alert.state, alert.acknowledged_by) == ("acknowledged", ward.carer.id)
    assert alert.acknowledgement_note == "On my way"

    done = await post(client, f"/alerts/{alert_id}/resolve", {"note": "GP called, seen"})
    assert done.status_code == 303
    (alert,) = await alerts_of(db_session, ward)
    assert (alert.state, alert.resolved_by) == ("resolved", ward.carer.id)
    assert alert.resolution_note == "GP called, seen"
    page = (await client.get(f"/alerts/{alert_id}")).text
    assert "Acknowledged by Cara Carer" in page
    assert "Resolved by Cara Carer" in page
    assert "GP called, seen" in page
    assert await _audits(db_session, ward, "alert.acknowledge") == 1
    assert await _audits(db_session, ward, "alert.resolve") == 1


async def test_resolving_needs_a_note_and_keeps_what_was_typed(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    alert_id = await _raise(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)

    response = await post(client, f"/alerts/{alert_id}/resolve", {"note": "   "}, htmx=True)
    assert response.status_code == 422
    assert f'id="alert-{alert_id}"' in response.text
    assert "Say what was done" in response.text
    assert 'aria-invalid="true"' in response.text
    plain = await post(client, f"/alerts/{alert_id}/resolve", {"note": ""})
    assert plain.status_code == 422
    assert "<html" in plain.text and "Say what was done" in plain.text
    (alert,) = await alerts_of(db_session, ward)
    assert alert.state == "open"


async def test_resolving_an_open_alert_acknowledges_it_at_the_same_moment(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    alert_id = await _raise(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.admin)
    response = await post(client, f"/alerts/{alert_id}/resolve", {"note": "False alarm"}, htmx=True)
    assert response.status_code == 200
    assert "Alert resolved" in response.headers["HX-Trigger"]
    assert f'id="alert-{alert_id}"' in response.text
    assert "<html" not in response.text
    (alert,) = await alerts_of(db_session, ward)
    assert alert.state == "resolved"
    assert alert.acknowledged_at == alert.resolved_at
    assert alert.acknowledged_by == ward.admin.id


async def test_acknowledging_a_resolved_alert_is_refused_plainly(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    alert_id = await _raise(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await post(client, f"/alerts/{alert_id}/resolve", {"note": "Sorted"})

    page = await post(client, f"/alerts/{alert_id}/acknowledge", {})
    assert page.status_code == 409
    assert "resolved already: it cannot be acknowledged" in page.text
    toast = await post(client, f"/alerts/{alert_id}/acknowledge", {}, htmx=True)
    assert toast.status_code == 409
    assert toast.headers["HX-Retarget"] == "#toasts"
    again = await post(client, f"/alerts/{alert_id}/resolve", {"note": "Twice"})
    assert again.status_code == 409
    assert "Cara Carer resolved this alert already" in again.text
    (alert,) = await alerts_of(db_session, ward)
    assert alert.resolution_note == "Sorted"


async def test_acknowledging_twice_names_who_did_first(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    alert_id = await _raise(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    await post(client, f"/alerts/{alert_id}/acknowledge", {})
    await sign_in(client, db_session, ward.tenant, ward.admin)
    response = await post(client, f"/alerts/{alert_id}/acknowledge", {})
    assert response.status_code == 409
    assert "Cara Carer acknowledged this alert already" in response.text


# -- Observers ---------------------------------------------------------------------------


async def test_observers_receive_and_read_alerts_but_cannot_act_on_them(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    alert_id = await _raise(db_session, ward)
    me = ward.scope(ward.observer, Role.OBSERVER)
    assert await unread_count(db_session, me) == 1
    await sign_in(client, db_session, ward.tenant, ward.observer)

    listing = await client.get("/alerts")
    assert "NEWS2 of 5 — medium risk" in listing.text
    page = await client.get(f"/alerts/{alert_id}")
    assert page.status_code == 200
    assert "Acknowledge" not in page.text
    assert "Resolve" not in page.text
    assert await unread_count(db_session, me) == 0  # their own read receipt

    assert (await post(client, f"/alerts/{alert_id}/acknowledge", {})).status_code == 403
    resolve = await post(client, f"/alerts/{alert_id}/resolve", {"note": "Fine"})
    assert resolve.status_code == 403
    concern = await post(client, f"{ward.alerts_url}/concern", {"text": "Worried"})
    assert concern.status_code == 403
    assert (await client.get(f"{ward.alerts_url}/concern")).status_code == 403
    assert "Raise a concern" not in (await client.get(ward.alerts_url)).text
    (alert,) = await alerts_of(db_session, ward)
    assert alert.state == "open"


async def test_observers_may_mark_every_alert_read(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await _raise(db_session, ward)
    await _raise(db_session, ward, Kind.CONCERN, detail="Second")
    await sign_in(client, db_session, ward.tenant, ward.observer)
    response = await post(client, "/alerts/read", {})
    assert response.status_code == 303
    assert await unread_count(db_session, ward.scope(ward.observer, Role.OBSERVER)) == 0
    assert await unread_count(db_session, ward.scope(ward.carer, Role.CARER)) == 2


# -- Concerns ----------------------------------------------------------------------------


async def test_a_carer_raises_a_concern_from_the_patients_screens(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    tab = await client.get(ward.alerts_url)
    assert "Raise a concern" in tab.text
    form = await client.get(f"{ward.alerts_url}/concern?place=inline", headers=HTMX)
    assert form.status_code == 200
    assert 'id="concern-form"' in form.text and "<html" not in form.text

    response = await post(
        client,
        f"{ward.alerts_url}/concern",
        {"text": "Not herself today, off her food", "severity": "urgent", "place": "inline"},
        htmx=True,
    )
    assert response.status_code == 200
    assert "Concern raised" in response.headers["HX-Trigger"]
    (alert,) = await alerts_of(db_session, ward)
    assert (alert.kind, alert.severity, alert.raised_by) == ("concern", "urgent", ward.carer.id)
    assert alert.detail == "Not herself today, off her food"
    assert alert.escalate_at is not None  # urgent: escalates if nobody acknowledges
    page = (await client.get(f"/alerts/{alert.id}")).text
    assert "Concern raised by Cara Carer" in page
    assert await _audits(db_session, ward, "alert.concern") == 1


async def test_a_plain_concern_form_defaults_to_a_warning_and_redirects(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, f"{ward.alerts_url}/concern", {"text": "Bruise on arm"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{ward.alerts_url}?done=concern"
    (alert,) = await alerts_of(db_session, ward)
    assert alert.severity == "warning" and alert.escalate_at is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "  "}, "Say what worries you"),
        ({"text": "x" * 2001}, "at most 2000 characters"),
        ({"text": "Fell", "severity": "info"}, "Choose how urgent it is"),
    ],
    ids=["empty", "too-long", "bad-severity"],
)
async def test_a_concern_that_needs_checking_comes_back_and_raises_nothing(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    ward: Ward,
    fields: dict[str, str],
    message: str,
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, f"{ward.alerts_url}/concern", fields)
    assert response.status_code == 422
    assert message in response.text
    assert (fields["text"].strip() or "") in response.text
    assert await alerts_of(db_session, ward) == []


async def test_the_concern_control_is_on_every_patient_screen_for_carers(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    for path in ("/today", "/notes", "/vitals", ""):
        page = await client.get(f"/patients/{ward.patient.id}{path}")
        assert page.status_code == 200, path
        assert f"/patients/{ward.patient.id}/alerts/concern" in page.text, path


async def test_a_concern_about_an_archived_patient_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await bind_tenant(db_session, ward.tenant.id)
    await db_session.execute(
        update(Patient).where(Patient.id == ward.patient.id).values(archived_at=func.now())
    )
    await sign_in(client, db_session, ward.tenant, ward.admin)
    assert (await client.get(f"{ward.alerts_url}/concern")).status_code == 409
    response = await post(client, f"{ward.alerts_url}/concern", {"text": "Fell"}, htmx=True)
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#toasts"
    assert await alerts_of(db_session, ward) == []


async def test_an_inline_concern_that_needs_checking_comes_back_in_place(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(
        client, f"{ward.alerts_url}/concern", {"text": "", "place": "inline"}, htmx=True
    )
    assert response.status_code == 422
    assert 'id="concern-form"' in response.text and "<html" not in response.text
    assert 'hx-post="' in response.text  # still in place
