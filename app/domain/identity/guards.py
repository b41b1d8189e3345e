"""Guards: who may reach a route. Every route is signed-in-only unless marked public.

Route `opt` flags:
- `public`: anyone; the person is still recognised when signed in.
- `sessionless`: anyone, and no session is even looked up (static files, health probes).
- `mfa_step`: reachable while the second factor is still owed (the code form, sign-out).
- `mfa_enrolment`: reachable before MFA is set up by someone who must set it up.
- `observer_may_write`: an unsafe method an observer may use (their own preferences).
"""

from __future__ import annotations

from urllib.parse import quote

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.domain.identity.access import AccessScope, open_session
from app.lib import cookies, i18n
from app.lib.errors import NotSignedIn, RedirectRequired
from app.lib.session_tokens import COOKIE, decode

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Public routes (by handler name) that show a signed-in person their own starting page.
PUBLIC_LANDINGS = frozenset({"home"})


def request_db(connection: ASGIConnection) -> AsyncSession:
    """The request's own database session (the one handlers get), so auth shares its
    transaction instead of opening another."""
    config = connection.app.state.db_config
    return config.provide_session(connection.app.state, connection.scope)


# Each step someone may still owe, and the route flags that may be reached meanwhile.
_STEPS = (
    ("/login/mfa", lambda scope: scope.mfa_pending, ("mfa_step",)),
    ("/account/mfa", lambda scope: scope.must_enrol_mfa, ("mfa_enrolment", "mfa_step")),
)


def _owed_step(scope: AccessScope, opt: dict[str, object]) -> str | None:
    """Where someone signed in must go before this route, if anywhere."""
    for location, owed, reachable in _STEPS:
        if owed(scope) and not any(opt.get(flag) for flag in reachable):
            return location
    return None


def _login_url(connection: ASGIConnection) -> str:
    target = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
    return f"/login?next={quote(target, safe='/')}"


async def authenticate(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """App-wide guard: recognise the session cookie, then apply the sign-in rules."""
    if handler.opt.get("sessionless"):
        return  # static files and probes: no person is ever looked up, no database touched
    scope: AccessScope | None = None
    token = cookies.read(connection, COOKIE)
    if token:
        claims = decode(token, connection.app.state.secret_key)
        if claims is not None:
            scope = await open_session(request_db(connection), claims)
    connection.scope["auth"] = scope
    opt = handler.opt
    if opt.get("public"):
        # The home page is public for visitors, but greets a signed-in person as one: someone
        # who still owes a step is sent to it, as from any other page.
        landing = scope is not None and handler.name in PUBLIC_LANDINGS
        if landing and (step := _owed_step(scope, {})):  # type: ignore[arg-type]
            raise RedirectRequired(step)
        return
    if scope is None:
        raise NotSignedIn(_login_url(connection))
    if step := _owed_step(scope, opt):
        raise RedirectRequired(step)
    if (
        scope.role == Role.OBSERVER
        and connection.scope.get("method") in UNSAFE_METHODS
        and not opt.get("observer_may_write")
    ):
        raise PermissionDeniedException(i18n._("Observers can read but not change records."))


def current_scope(connection: ASGIConnection) -> AccessScope:
    scope = connection.scope.get("auth")
    if scope is None:  # a route marked public asked for a scope it may not have
        raise NotSignedIn(_login_url(connection))
    return scope


async def admin_only(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if not current_scope(connection).is_admin:
        raise PermissionDeniedException(i18n._("Only an administrator can do this."))


async def care_writer(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Carers and admins record care; observers read."""
    if not current_scope(connection).can_write_care:
        raise PermissionDeniedException(i18n._("Observers can read but not change records."))
