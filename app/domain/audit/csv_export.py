"""The audit trail as CSV: one line per event, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from datetime import UTC
from typing import Any

from app.domain.audit.trail import AuditEntry

# Column names are identifiers for tools that read the file, so they stay the same in
# every language (the page itself is translated).
COLUMNS = (
    "seq",
    "occurred_at_utc",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "route",
    "ip",
    "detail",
)
# A spreadsheet runs a cell that starts with one of these as a formula ("CSV injection"):
# a person's name like "=HYPERLINK(...)" must arrive as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a UTF-8 file as UTF-8 (names in Arabic, Chinese…) only after this mark.
BOM = "\ufeff"


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _line(entry: AuditEntry) -> list[str]:
    values = (
        entry.seq,
        entry.occurred_at.astimezone(UTC).isoformat(),
        entry.actor_id,
        entry.actor_name,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.patient_id,
        entry.route,
        entry.ip,
        json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
    )
    return [safe_cell(value) for value in values]


def _encode(rows: Iterable[Iterable[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


async def csv_chunks(batches: AsyncIterator[list[AuditEntry]]) -> AsyncIterator[str]:
    """The header, then one chunk per batch of events, as the client reads them."""
    yield BOM + _encode([COLUMNS])
    async for batch in batches:
        yield _encode(_line(entry) for entry in batch)
