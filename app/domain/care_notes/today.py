"""The notes card of the Today page: the latest notes, and handovers since the last visit.

No audit here: the Today page records one event for everything it shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.care_notes.categories import category_choices
from app.domain.care_notes.display import show_note
from app.domain.care_notes.forms import NoteForm
from app.domain.care_notes.repository import NoteRow
from app.domain.care_notes.today_queries import recent_and_handovers
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.dates import show_moment
from app.lib.i18n import current_locale

RECENT = 3
HANDOVERS_MAX = 10  # more than this since one visit is a report, not a card
DEFAULT_LOOKBACK = timedelta(hours=24)


@lru_cache(maxsize=4096)
def _shown(row: NoteRow, zone: ZoneInfo, locale: str) -> dict[str, Any]:
    return show_note(row, zone)


def _show(row: NoteRow, zone: ZoneInfo) -> dict[str, Any]:
    """`show_note`, remembered: the card shows the same few notes to every visitor until
    new ones are written, and Babel takes ~60 µs a date. A row is all of a note as read
    (an edit or a renamed author is another row), and the key holds the zone and the
    language, so a remembered note reads exactly as a fresh one."""
    return dict(_shown(row, zone, current_locale()))


async def today_section(
    db: AsyncSession,
    me: AccessScope,
    patient: ChosenPatient,
    since: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """Display-ready values for the card: `recent` (the last 3 notes), `handovers` (by
    others after `since`, the carer's previous visit; the last 24 hours when None), the
    moment they are counted from, and the notes' URLs."""
    start = since if since is not None else now - DEFAULT_LOOKBACK
    recent, handovers = await recent_and_handovers(
        db, me, patient.id, start, recent=RECENT, handovers=HANDOVERS_MAX
    )
    base = f"/patients/{patient.id}/notes"
    return {
        "recent": [_show(row, me.zone) for row in recent],
        "handovers": [_show(row, me.zone) for row in handovers],
        "since": show_moment(start, me.zone),
        "since_iso": start.isoformat(),
        "since_last_visit": since is not None,
        "list_url": base,
        "new_url": f"{base}/new",
        # For the form kept in the page, used when "Write a note" is offline.
        "blank_form": NoteForm().values(),
        "categories": category_choices(),
    }
