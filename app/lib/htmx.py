"""One URL, two renderings: the full page, or only the partial that htmx swaps in.

A normal, boosted or history-restore request gets the whole page (which includes the
partial); an htmx swap gets the partial alone. `Vary: HX-Request` keeps any cache from
handing one rendering to a request that wanted the other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template

VARY = "HX-Request"


def wants_partial(request: Request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(
    request: Request,
    page: str,
    partial: str | None = None,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """The page template, or `partial` when htmx asks for a swap."""
    template = partial if partial and wants_partial(request) else page
    return Template(
        template_name=template,
        context=dict(context or {}),
        status_code=status_code,
        headers={"Vary": VARY, **(headers or {})},
    )


def trigger(events: Mapping[str, Any]) -> dict[str, str]:
    """An `HX-Trigger` header raising client events, e.g. `{"toast": {...}}`."""
    # json.dumps escapes non-ASCII (Arabic, Chinese…) as \uXXXX: header values are Latin-1.
    return {"HX-Trigger": json.dumps(events)}


def toast(message: str, level: str = "success") -> dict[str, str]:
    """Headers that show a toast after an htmx request (the message already translated)."""
    return trigger({"toast": {"message": message, "level": level}})
