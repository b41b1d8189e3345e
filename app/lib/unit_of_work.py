"""One unit of work per request: its session commits before the response is sent.

A response that says something was saved may go out only after the COMMIT succeeded.
`after_request` commits the request's session once the handler has built a success or
redirect response, and before that response is rendered and sent; a commit that fails
raises `NotSaved` (503), which the error handlers answer instead, so neither the "saved"
toast nor the redirect ever leaves. Early commits (the audit chain's release, a throttle
counter) go through `commit()` too. `close_session` (advanced-alchemy's before-send hook)
only rolls back what is left and closes: it never commits, so nothing is committed after
the answer is decided.
"""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING, Any

from litestar.constants import HTTP_RESPONSE_START
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from litestar import Request, Response
    from litestar.types import Message, Scope
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("tend.unit_of_work")

# SQLSTATE classes that mean "the database could not do it now", not "this request is
# wrong": connection exceptions, insufficient resources, operator intervention (a
# shutdown, a server still starting), and transaction rollbacks (serialization, deadlock).
_TRANSIENT_CLASSES = ("08", "53", "57", "40")

# The request being handled, for `after_request`, which Litestar gives only the response.
_scope: contextvars.ContextVar[Scope | None] = contextvars.ContextVar(
    "tend_uow_scope", default=None
)


class NotSaved(HTTPException):
    """The database refused or could not take this request's writes: nothing was saved."""

    status_code = HTTP_503_SERVICE_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__(detail="not saved")  # i18n: not shown (the error page says it)


def _sqlstate(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(getattr(original, "sqlstate", None) or getattr(original, "pgcode", None) or "")


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database is down, unreachable or busy, so that trying
    again later is the right answer (503) rather than a bug (500)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OSError):  # refused, reset, timed out: asyncpg raises these raw
        return True
    if isinstance(getattr(exc, "orig", None), OSError):
        return True
    return _sqlstate(exc)[:2] in _TRANSIENT_CLASSES


async def commit(db: AsyncSession) -> None:
    """Commit now; if the database refuses (a constraint checked at commit, a lost
    connection), raise `NotSaved` so the request answers 503 and nothing says saved."""
    try:
        await db.commit()
    except (DBAPIError, OSError) as exc:
        log.warning("Commit failed, answering 503: %s", exc)
        raise NotSaved from exc


def session_key(scope: Scope) -> str:
    return scope["litestar_app"].state.db_config.session_scope_key


def request_session(scope: Scope) -> AsyncSession | None:
    """The request's session if something opened one (advanced-alchemy keeps it in the
    scope), else None."""
    from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state

    return get_aa_scope_state(scope, session_key(scope))


def remember_request(request: Request[Any, Any, Any]) -> None:
    """`before_request` part: note the request, for `after_request`."""
    _scope.set(request.scope)


def _commits(status: int | None) -> bool:
    # None: the handler's own default status, a success (200, or 201 for a POST).
    return status is None or 200 <= status < 400  # success, and POST-then-redirect


async def after_request(response: Response[Any]) -> Response[Any]:
    """Commit the request's session before its success (or redirect) is sent."""
    scope = _scope.get()
    _scope.set(None)
    if scope is None or not _commits(getattr(response, "status_code", None)):
        return response
    session = request_session(scope)
    if session is not None:
        await commit(session)
    return response


async def close_session(message: Message, scope: Scope) -> None:
    """Before-send hook: roll back what no `after_request` committed (error answers,
    and answers from error handlers), then close the session when the response ends."""
    from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state
    from advanced_alchemy.extensions.litestar.plugins.init.config.common import (
        SESSION_TERMINUS_ASGI_EVENTS,
    )

    session = request_session(scope)
    if session is None:
        return
    try:
        if message["type"] == HTTP_RESPONSE_START and session.in_transaction():
            await session.rollback()
    except Exception:  # the connection may be gone; the answer is already decided
        log.warning("Rollback after the response failed", exc_info=True)
    finally:
        if message["type"] in SESSION_TERMINUS_ASGI_EVENTS:
            try:
                await session.close()
            except Exception:
                log.warning("Closing the session failed", exc_info=True)
            delete_aa_scope_state(scope, session_key(scope))
