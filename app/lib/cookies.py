"""Tend's cookies: one place decides their names and flags for each request.

Over HTTPS (and always in production) a cookie is Secure and named `__Host-…`: the browser
then keeps it to this exact host and path `/`, so no sibling subdomain can plant or
overwrite it. In development over plain http (a phone trying Tend on the same network)
a Secure cookie would never come back, so there they are plain, non-Secure cookies.
"""

from __future__ import annotations

from typing import Literal

from litestar import Response
from litestar.connection import ASGIConnection
from litestar.datastructures.cookie import Cookie

HOST_PREFIX = "__Host-"


def secure_transport(connection: ASGIConnection) -> bool:
    """Whether this request's cookies must be Secure: it came over HTTPS, or Tend runs in
    production (where plain http is never trusted with a session, even by mistake)."""
    if connection.scope.get("scheme") in ("https", "wss"):
        return True
    return bool(connection.app.state.settings.server.production)


def plain_http_in_production(connection: ASGIConnection) -> bool:
    """A production request over plain http: the browser will not send Secure cookies back."""
    return secure_transport(connection) and connection.scope.get("scheme") not in (
        "https",
        "wss",
    )


def name_for(connection: ASGIConnection, base: str) -> str:
    """The cookie's name as this request's browser holds it."""
    return HOST_PREFIX + base if secure_transport(connection) else base


def read(connection: ASGIConnection, base: str) -> str | None:
    return connection.cookies.get(name_for(connection, base))


def make(
    connection: ASGIConnection,
    base: str,
    value: str,
    *,
    max_age: int | None,
    httponly: bool = True,
    samesite: Literal["lax", "strict", "none"] = "lax",
) -> Cookie:
    """A cookie for this request: path `/`, no domain (a `__Host-` cookie must have
    neither more nor less). `max_age` None is a browser-session cookie."""
    return Cookie(
        key=name_for(connection, base),
        value=value,
        path="/",
        # Both: Max-Age for today's browsers, Expires (litestar takes seconds from now)
        # for the old ones that only read it.
        max_age=max_age,
        expires=max_age,
        secure=secure_transport(connection),
        httponly=httponly,
        samesite=samesite,
    )


def set_on(
    response: Response,
    connection: ASGIConnection,
    base: str,
    value: str,
    *,
    max_age: int | None,
    httponly: bool = True,
) -> Response:
    response.set_cookie(make(connection, base, value, max_age=max_age, httponly=httponly))
    return response


def delete_on(response: Response, connection: ASGIConnection, base: str) -> Response:
    """Remove the cookie: the same name, path and Secure flag, or the browser ignores it."""
    response.set_cookie(make(connection, base, "", max_age=0))
    return response
