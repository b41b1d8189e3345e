"""The admins' figures: median times to acknowledge and resolve, share within 24 h."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.alerts import Alert
from app.db.models.base import new_id
from app.db.tenancy import bind_tenant
from app.domain.alerts.figures import alert_figures
from tests.factories import sign_in
from tests.integration.alerts.conftest import Ward

NOW = datetime.now(UTC).replace(microsecond=0)


def _alert(ward: Ward, severity: str, raised_ago: timedelta, **stamps: timedelta) -> Alert:
    raised = NOW - raised_ago
    values = {name: raised + after for name, after in stamps.items()}
    state = "open"
    if "acknowledged_at" in values:
        state = "acknowledged"
    if "resolved_at" in values:
        state = "resolved"
    return Alert(
        id=new_id(),
        tenant_id=ward.tenant.id,
        patient_id=ward.patient.id,
        kind="concern",
        severity=severity,
        params={},
        state=state,
        raised_at=raised,
        **values,
    )


async def _known_data(db: AsyncSession, ward: Ward) -> None:
    await bind_tenant(db, ward.tenant.id)
    hour, minute = timedelta(hours=1), timedelta(minutes=1)
    db.add_all(
        [
            # Acknowledged after 10, 20, 30 minutes; resolved after 1 h, 3 h, 30 h.
            _alert(ward, "urgent", 3 * 24 * hour, acknowledged_at=10 * minute, resolved_at=hour),
            _alert(
                ward, "warning", 3 * 24 * hour, acknowledged_at=20 * minute, resolved_at=3 * hour
            ),
            _alert(ward, "info", 3 * 24 * hour, acknowledged_at=30 * minute, resolved_at=30 * hour),
            # Still open, raised an hour ago: not yet past its 24 hours, so not judged.
            _alert(ward, "urgent", hour),
            # Raised 40 days ago: outside the window.
            _alert(ward, "urgent", 40 * 24 * hour, acknowledged_at=minute, resolved_at=minute),
        ]
    )
    await db.flush()


async def test_the_figures_on_known_data(db_session: AsyncSession, ward: Ward) -> None:
    await _known_data(db_session, ward)
    figures = await alert_figures(db_session, ward.tenant.id, NOW)

    assert figures.raised == 4
    assert figures.by_severity == {"urgent": 2, "warning": 1, "info": 1}
    assert figures.median_acknowledge == timedelta(minutes=20)
    assert figures.median_resolve == timedelta(hours=3)
    assert (figures.within_day, figures.judged) == (2, 3)
    assert figures.share_within_day is not None
    assert round(figures.share_within_day, 3) == 0.667
    assert figures.unresolved == 1


async def test_the_figures_page_is_for_admins(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await _known_data(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.admin)
    page = await client.get("/alerts/figures")
    assert page.status_code == 200
    assert "20 min" in page.text
    assert "3 h 0 min" in page.text
    assert "67% (2 of 3)" in page.text

    await sign_in(client, db_session, ward.tenant, ward.carer)
    assert (await client.get("/alerts/figures")).status_code == 403


async def test_no_alerts_no_figures(db_session: AsyncSession, ward: Ward) -> None:
    figures = await alert_figures(db_session, ward.tenant.id, NOW)
    assert figures.raised == 0
    assert figures.median_resolve is None and figures.share_within_day is None
