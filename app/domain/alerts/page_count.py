"""The bell's count on a full page load: one query, only when a page is being loaded."""

from __future__ import annotations

from litestar import Request

from app.domain.alerts.unread import unread_count
from app.domain.identity.guards import request_db
from app.lib.htmx import wants_partial

STATE_KEY = "unread_alerts"


async def count_for_page(request: Request) -> None:
    """`before_request` hook (after the guards): put `me`'s unread count where the layout
    finds it, for document loads only. A browser asks for `text/html` when it loads a
    page, not for images, fetches, event streams or htmx swaps, which skip the query."""
    me = request.scope.get("auth")
    if (
        me is None
        or me.mfa_pending
        or me.must_enrol_mfa
        or request.method != "GET"
        or "text/html" not in request.headers.get("accept", "")
        or wants_partial(request)
    ):
        return
    state = request.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    state[STATE_KEY] = await unread_count(request_db(request), me)
