"""The dose page and the concern page each have one main heading (axe
page-has-heading-one); in place on another page, their forms add none."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import sign_in

from .conftest import Ward, add_medicine, post, yesterday_at


async def test_the_dose_page_has_one_h1(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    params = {"medication": str(medicine.id), "at": yesterday_at(8).isoformat()}
    page = await client.get(f"{ward.base}/dose", params=params)
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert "Record a dose: Amlodipine" in page.text
    # Refused without JavaScript: the page again, still one heading.
    refused = await post(
        client,
        f"{ward.base}/dose",
        {"medication_id": str(medicine.id), "scheduled_for": params["at"], "outcome": "held"},
    )
    assert refused.status_code == 422
    assert refused.text.count("<h1") == 1
    # In place on Today or the chart (htmx), the form brings no second h1.
    partial = await client.get(f"{ward.base}/dose", params=params, headers={"HX-Request": "true"})
    assert partial.text.count("<h1") == 0
    assert partial.text.count("<h2") == 1


async def test_the_concern_page_has_one_h1(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    url = f"/patients/{ward.patient.id}/alerts/concern"
    page = await client.get(url)
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert "Raise a concern about" in page.text
    inline = await client.get(f"{url}?place=inline", headers={"HX-Request": "true"})
    assert inline.status_code == 200
    assert inline.text.count("<h1") == 0
