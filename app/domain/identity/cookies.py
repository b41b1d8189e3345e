"""Setting and clearing the session cookie."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TypedDict

from litestar import Request, Response

from app.domain.audit.services import client_ip
from app.domain.identity.services import IssuedSession
from app.lib import cookies, csrf
from app.lib.session_tokens import COOKIE


def set_session_cookie(response: Response, issued: IssuedSession, request: Request) -> Response:
    """The cookie lives as long as the session row says, and not a second longer; a page
    rendered by this response carries the new session's CSRF token."""
    seconds = (issued.expires_at - datetime.now(UTC)).total_seconds()
    cookies.set_on(response, request, COOKIE, issued.token, max_age=max(0, math.ceil(seconds)))
    csrf.use_session_token(request, issued.session_id)
    return response


def clear_session_cookie(response: Response, request: Request) -> Response:
    return cookies.delete_on(response, request, COOKIE)


class ClientOf(TypedDict):
    ip: str | None
    user_agent: str | None


def client_of(request: Request) -> ClientOf:
    """What a new session row records about where it was started."""
    return {"ip": client_ip(request), "user_agent": request.headers.get("user-agent")}
