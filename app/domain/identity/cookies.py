"""Setting and clearing the session cookie."""

from __future__ import annotations

from typing import TypedDict

from litestar import Request, Response

from app.domain.audit.services import client_ip
from app.domain.identity.services import IssuedSession
from app.lib.session_tokens import COOKIE


def set_session_cookie(response: Response, issued: IssuedSession) -> Response:
    response.set_cookie(
        COOKIE,
        issued.token,
        expires=int(issued.expires_at.timestamp()),
        httponly=True,
        secure=True,
        samesite="lax",
        path="/",
    )
    return response


def clear_session_cookie(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/")
    return response


class ClientOf(TypedDict):
    ip: str | None
    user_agent: str | None


def client_of(request: Request) -> ClientOf:
    """What a new session row records about where it was started."""
    return {"ip": client_ip(request), "user_agent": request.headers.get("user-agent")}
