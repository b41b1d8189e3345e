"""CSRF protection whose token is bound to the browser's session.

Signed in, the token is an HMAC of the session id named by the signed session cookie, so
the token of another session is refused, even with that session's CSRF cookie beside
it. Signed out (sign-in, sign-up, password reset and any other public form) it is an
HMAC of a random value the browser keeps in the CSRF cookie, set by the first page it
loads. Unsafe requests carry the token in the `x-csrftoken` header (htmx, from the page's
`hx-headers`) or a form's `_csrf_token` field; templates read it with `csrf_token()`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING, Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.utils.scope.state import ScopeState

from app.lib import cookies, session_tokens

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "tend_csrf"
HEADER = "x-csrftoken"
FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_NONCE = re.compile(r"[0-9a-f]{64}")


class CsrfRefused(PermissionDeniedException):
    """An unsafe request without the token of its own session (or visitor cookie)."""

    def __init__(self, *, cookies_missing_over_http: bool) -> None:
        super().__init__(detail="CSRF token refused")  # i18n: not shown (errors.py words it)
        self.cookies_missing_over_http = cookies_missing_over_http


def _sign(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def token_for(secret: str, session_cookie: str | None, visitor_nonce: str | None) -> str | None:
    """The token a request with these cookies must carry (None: none can be right)."""
    if session_cookie:
        session_id = session_tokens.session_id_of(session_cookie, secret)
        if session_id is not None:
            return _sign(secret, "session", str(session_id))
    if visitor_nonce:
        return _sign(secret, "visitor", visitor_nonce)
    return None


def session_token(secret: str, session_id: object) -> str:
    """The token of a session just issued (the page that sets its cookie carries it)."""
    return _sign(secret, "session", str(session_id))


def use_session_token(connection: ASGIConnection, session_id: object) -> None:
    """From here on this response's pages carry the new session's token."""
    secret = connection.app.state.secret_key
    ScopeState.from_scope(connection.scope).csrf_token = session_token(secret, session_id)


class CsrfMiddleware:
    """Check unsafe requests; give safe ones their token (and a visitor cookie if new)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request = scope["litestar_app"].request_class(scope=scope, receive=receive)
        method = request.method
        handler_opt = getattr(scope.get("route_handler"), "opt", {}) or {}
        if method in SAFE_METHODS and handler_opt.get("sessionless"):
            await self.app(scope, receive, send)  # static files and probes: no cookie
            return
        secret: str = request.app.state.secret_key
        nonce = cookies.read(request, COOKIE)
        if nonce is not None and not _NONCE.fullmatch(nonce):
            nonce = None
        session_cookie = cookies.read(request, session_tokens.COOKIE)
        state = ScopeState.from_scope(scope)
        if method in SAFE_METHODS:
            new_nonce = None
            if nonce is None:
                new_nonce = nonce = secrets.token_hex(32)
            state.csrf_token = token_for(secret, session_cookie, nonce)
            if new_nonce is not None:
                send = self._setting_cookie(send, request, new_nonce)
            await self.app(scope, receive, send)
            return
        submitted = await self._submitted(request)
        expected = token_for(secret, session_cookie, nonce)
        if expected is None or not submitted or not hmac.compare_digest(submitted, expected):
            missing = nonce is None and session_cookie is None
            raise CsrfRefused(
                cookies_missing_over_http=missing and cookies.plain_http_in_production(request)
            )
        state.csrf_token = expected
        await self.app(scope, receive, send)

    @staticmethod
    async def _submitted(request: Any) -> str | None:
        token = request.headers.get(HEADER)
        if token:
            return str(token)
        content_type, _ = request.content_type
        if content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
            value = (await request.form()).get(FIELD)
            return value if isinstance(value, str) else None
        return None

    @staticmethod
    def _setting_cookie(send: Send, request: Any, nonce: str) -> Send:
        # httpOnly: pages carry the token; no script needs to read this cookie.
        header = cookies.make(request, COOKIE, nonce, max_age=None).to_header(header="")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message).add("set-cookie", header)
            await send(message)

        return wrapped
