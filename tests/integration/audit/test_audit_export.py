"""The audit CSV: the page's filters, streamed, recorded, and safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, Role
from app.domain.audit.csv_export import COLUMNS, safe_cell
from app.domain.audit.services import append, flush_audit
from tests.factories import make_person, make_tenant, sign_in


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


async def test_export_streams_every_matching_event_as_an_attachment(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN, name="Ada Admin")
    await sign_in(client, db_session, tenant, admin)
    patient_id = uuid.uuid4()
    for _ in range(1001):  # more than two of the export's batches
        await append(db_session, tenant.id, admin.id, "patient.search", "patient")
    await append(
        db_session,
        tenant.id,
        admin.id,
        "patient.view",
        "patient",
        object_id=patient_id,
        patient_id=patient_id,
        route="/patients/1",
        ip="192.0.2.4",
        detail={"fields": ["name"], "note": "Zoë"},
    )
    await flush_audit(db_session)
    everything = await client.get("/audit/export.csv")
    assert everything.status_code == 200
    assert everything.headers["content-type"].startswith("text/csv")
    disposition = everything.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".csv" in disposition
    rows = rows_of(everything)
    assert list(rows[0].keys()) == list(COLUMNS)
    assert [int(r["seq"]) for r in rows] == list(range(1, 1003))  # oldest first, no gaps

    viewed = rows_of(await client.get("/audit/export.csv?action=patient.view"))
    assert len(viewed) == 1
    row = viewed[0]
    assert row["actor_id"] == str(admin.id) and row["actor_name"] == "Ada Admin"
    assert row["patient_id"] == str(patient_id) and row["object_id"] == str(patient_id)
    assert row["object_type"] == "patient" and row["route"] == "/patients/1"
    assert row["ip"] == "192.0.2.4"
    assert json.loads(row["detail"]) == {"fields": ["name"], "note": "Zoë"}
    assert datetime.fromisoformat(row["occurred_at_utc"]).utcoffset().total_seconds() == 0


async def test_exporting_is_itself_recorded(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    await client.get(f"/audit/export.csv?person={admin.id}&from=2025-01-01")
    exported = (
        await db_session.execute(
            select(AuditEvent).where(
                AuditEvent.tenant_id == tenant.id, AuditEvent.action == "audit.export"
            )
        )
    ).scalar_one()
    assert exported.actor_id == admin.id
    assert exported.route == "/audit/export.csv"
    assert exported.detail["filters"] == {"person": str(admin.id), "from": "2025-01-01"}


async def test_a_name_that_looks_like_a_formula_arrives_as_text(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    sly = await make_person(db_session, tenant, Role.CARER, name='=HYPERLINK("http://x","y")')
    await sign_in(client, db_session, tenant, admin)
    await append(db_session, tenant.id, sly.id, "@SUM(A1)", "-patient", object_id="+1")
    await flush_audit(db_session)
    row = rows_of(await client.get(f"/audit/export.csv?person={sly.id}"))[0]
    assert row["actor_name"] == '\'=HYPERLINK("http://x","y")'
    assert row["action"] == "'@SUM(A1)"
    assert row["object_type"] == "'-patient"
    assert row["object_id"] == "'+1"


def test_safe_cell_leaves_ordinary_values_alone() -> None:
    assert safe_cell("Ada Admin") == "Ada Admin"
    assert safe_cell(None) == ""
    assert safe_cell(42) == "42"
    assert safe_cell("\tcmd") == "'\tcmd"


async def test_a_bad_filter_on_export_is_explained_not_downloaded(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    response = await client.get("/audit/export.csv?to=yesterday")
    assert response.status_code == 422
    assert "Enter a date, like 2025-03-31." in response.text
    assert "content-disposition" not in response.headers
