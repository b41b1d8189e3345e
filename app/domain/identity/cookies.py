"""Setting and clearing the session cookie."""

from __future__ import annotations

from litestar import Response

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
