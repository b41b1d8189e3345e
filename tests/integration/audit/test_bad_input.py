"""The audit page with input no one could mean: filter days beyond every event read as
the nearest day, a cursor too large for any event answers 400; never a server error."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from .test_audit_page import admin_in, event, shown


@pytest.mark.parametrize("page", ["/audit", "/audit/export.csv"])
@pytest.mark.parametrize(("first", "last"), [("", "9999-12-31"), ("0001-01-01", "9999-12-31")])
async def test_filter_days_beyond_every_event_still_show_the_events(
    client: httpx.AsyncClient, db_session: AsyncSession, page: str, first: str, last: str
) -> None:
    tenant, admin = await admin_in(db_session, client)
    seq = await event(db_session, tenant, admin, "patient.create")
    response = await client.get(page, params={"from": first, "to": last})
    assert response.status_code == 200
    if page == "/audit":
        assert seq in shown(response.text)
    else:  # the export streams: a failure part-way would still have begun with 200
        assert len(response.text.strip().splitlines()) == 2  # the header and the event


async def test_a_cursor_beyond_any_event_is_a_400(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await admin_in(db_session, client)
    response = await client.get("/audit", params={"before": "99999999999999999999999"})
    assert response.status_code == 400
    assert "That request was not understood" in response.text
