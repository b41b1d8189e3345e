"""Error pages that work as full pages and as htmx responses.

A full-page request gets the error page. An htmx request gets a small alert that htmx
(configured in static/js/htmx-config.js to swap error responses) places in the toast
region instead of the element that asked, so the page the user was on stays intact.
"""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE

from app.lib import i18n
from app.lib.csrf import CsrfRefused
from app.lib.htmx import VARY, wants_partial
from app.lib.i18n import _
from app.lib.unit_of_work import database_unavailable

log = logging.getLogger("tend.errors")


class RedirectRequired(HTTPException):
    """Send the browser elsewhere first (sign-in, the MFA step, MFA set-up)."""

    status_code = 303

    def __init__(self, location: str) -> None:
        super().__init__(detail="redirect")  # i18n: not shown (never rendered)
        self.location = location


class NotSignedIn(RedirectRequired):
    status_code = 401


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _messages(status: int, write: bool = False) -> tuple[str, str]:
    """(title, explanation) for a status, in the request's language; `write` says the
    request asked to change something (a 503 then says that nothing was saved)."""
    if status == 400:
        return _("That request was not understood"), _(
            "Something in it was missing or not in the expected form. Go back and try again."
        )
    if status == 401:
        return _("Please sign in"), _("You need to sign in to see this page.")
    if status == 402:
        return _("Not included in your plan"), _(
            "Your care account's plan does not include this part of Tend."
        )
    if status == 403:
        return _("Not allowed"), _(
            "Your account is not allowed to do this. If you think it should be, ask "
            "an administrator of your care account."
        )
    if status == 404:
        return _("Page not found"), _(
            "There is nothing here. The link may be old, or the page may have moved."
        )
    if status == 405:
        return _("Not allowed here"), _("This page cannot be used that way.")
    if status == 413:
        return _("Too large"), _("What you sent is larger than Tend accepts.")
    if status == 429:
        return _("Too many attempts"), _("Please wait a moment, then try again.")
    if status < 500:
        return _("Something went wrong"), _("Tend could not do that. Please try again.")
    if status == 503 and write:
        return _("Not saved — please try again"), _(
            "Tend could not store this just now, so it was not saved. Please try again in a moment."
        )
    if status == 503:
        return _("Tend is not available just now"), _("Please try again in a moment.")
    return _("Something went wrong on our side"), _(
        "Nothing you saved was lost. Please try again in a moment; if it keeps happening, "
        "tell your care account's administrator."
    )


def error_response(
    request: Request, status: int, headers: dict[str, str] | None = None
) -> Template:
    i18n.activate_for(request)  # routing errors reach here before any request hook ran
    title, detail = _messages(status, write=request.method in _WRITES)
    context = {"status": status, "title": title, "detail": detail}
    all_headers = {"Vary": VARY, **(headers or {})}
    if wants_partial(request):
        # Retarget: an error must not replace the form or list the user was working in.
        all_headers.update({"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"})
        return Template(
            "errors/partials/_error.html", context=context, status_code=status, headers=all_headers
        )
    return Template("errors/page.html", context=context, status_code=status, headers=all_headers)


def redirect_handler(request: Request, exc: RedirectRequired) -> Response:
    """Sign-in and MFA detours: htmx follows HX-Redirect; a browser follows a 303."""
    if getattr(request, "htmx", None):
        return Response(b"", status_code=exc.status_code, headers={"HX-Redirect": exc.location})
    return Redirect(exc.location, status_code=303)


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    headers = dict(exc.headers or {})
    if isinstance(exc, NotAuthorizedException):
        headers.pop("WWW-Authenticate", None)
    return error_response(request, exc.status_code, headers)  # type: ignore[return-value]


def csrf_refused_handler(request: Request, exc: CsrfRefused) -> Response:
    """Not "your account is not allowed": the form was stale, or the cookies never came back."""
    i18n.activate_for(request)
    if exc.cookies_missing_over_http:
        title, detail = (
            _("Tend needs a secure connection here"),
            _(
                "Your browser did not send back Tend's sign-in cookies, because this address "
                "uses plain http. Open Tend at its https:// address, or ask whoever runs it to "
                'put it behind HTTPS (see "Using Tend from a phone on the same network" in '
                "the README)."
            ),
        )
    else:
        title, detail = (
            _("This page is out of date"),
            _(
                "It was opened before you last signed in or out, so Tend did not accept it. "
                "Reload the page and try again; nothing was changed."
            ),
        )
    response = error_response(request, exc.status_code)
    response.context.update(title=title, detail=detail)
    return response  # type: ignore[return-value]


def internal_error_handler(request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        # PostgreSQL down, restarting or overloaded: try again later, not a bug.
        log.warning("Database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return error_response(request, HTTP_503_SERVICE_UNAVAILABLE)  # type: ignore[return-value]
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)  # type: ignore[return-value]


EXCEPTION_HANDLERS = {
    RedirectRequired: redirect_handler,
    CsrfRefused: csrf_refused_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
