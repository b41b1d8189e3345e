"""Fixtures for the care notes tests: a care team and one patient they look after."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient
from app.domain.keys.keyring import Keyring
from tests.conftest import csrf_headers
from tests.factories import grant_access, make_patient
from tests.integration.patients.conftest import Team, keyring, team  # noqa: F401

NO_FILE = {"photo": ("", b"", "application/octet-stream")}
HTMX = {"HX-Request": "true"}


@pytest.fixture
async def ada(db_session: AsyncSession, keyring: Keyring, team: Team) -> Patient:  # noqa: F811
    """A patient the team's carer and observer are both granted."""
    patient = await make_patient(db_session, keyring, team.tenant, given="Ada", family="Lovelace")
    await grant_access(db_session, team.tenant, patient, team.carer)
    await grant_access(db_session, team.tenant, patient, team.observer)
    return patient


async def write_note(
    client: httpx.AsyncClient,
    patient: Patient,
    fields: dict[str, Any],
    photo: tuple[str, bytes, str] | None = None,
    *,
    htmx: bool = False,
) -> httpx.Response:
    """A new-note form as a browser sends it: multipart, with or without a file."""
    headers = await csrf_headers(client)
    if htmx:
        headers |= HTMX
    files = {"photo": photo} if photo else NO_FILE
    return await client.post(
        f"/patients/{patient.id}/notes", data=fields, files=files, headers=headers
    )
