"""Sign-in, the MFA step, sign-out and switching care account."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Response, Template

from app.domain.audit.services import client_ip
from app.domain.identity import mfa, throttle
from app.domain.identity.access import AccessScope
from app.domain.identity.cookies import clear_session_cookie, client_of, set_session_cookie
from app.domain.identity.deps import Identity, Me, provide_identity, provide_me
from app.domain.identity.services import IdentityService
from app.domain.settings.controllers import safe_next
from app.lib import cookies
from app.lib.forms import FieldErrors
from app.lib.htmx import render
from app.lib.i18n import _, ngettext
from app.lib.rate_limit import allow
from app.lib.unit_of_work import commit

SIGN_INS_PER_MINUTE_PER_IP = 30
LAST_TENANT_COOKIE = "tend_last_account"
# Where signing in leads when no page was asked for: what is due, not a menu.
LANDING = "/today"


def landing(target: str) -> str:
    """A safe `next` page, or Today when none (or only the home page) was asked for."""
    page = safe_next(target)
    return LANDING if page == "/" else page


@dataclass
class SignInForm:
    email: str = ""
    password: str = ""
    next: str = "/"


@dataclass
class CodeForm:
    code: str = ""


@dataclass
class SwitchForm:
    tenant_id: str = ""


def _signin_page(
    request: Request, form: SignInForm, errors: FieldErrors, status: int = 200
) -> Template:
    context = {
        "form": {"email": form.email, "next": safe_next(form.next)},
        "errors": errors,
        # Said before the password is typed: over plain http the cookies will not come back.
        "needs_https": cookies.plain_http_in_production(request),
    }
    return render(request, "identity/login.html", context=context, status_code=status)


def _wait_message(seconds: float) -> str:
    if seconds < 60:
        count = max(1, math.ceil(seconds))
        return ngettext(
            "Too many attempts. Try again in %(num)s second.",
            "Too many attempts. Try again in %(num)s seconds.",
            count,
        )
    count = math.ceil(seconds / 60)
    return ngettext(
        "Too many attempts. Try again in %(num)s minute.",
        "Too many attempts. Try again in %(num)s minutes.",
        count,
    )


class SignInController(Controller):
    dependencies: ClassVar[dict[str, Provide]] = {
        "identity": Provide(provide_identity),
        "me": Provide(provide_me),
    }

    @get("/login", name="login", opt={"public": True})
    async def show(self, request: Request, next: FromQuery[str] = "/") -> Response[Any]:
        """The sign-in form (or straight on, for someone already signed in)."""
        if request.scope.get("auth") is not None:
            return Redirect(landing(next), status_code=303)
        return _signin_page(request, SignInForm(next=next), {})

    @post("/login", opt={"public": True})
    async def submit(
        self,
        request: Request,
        identity: Identity,
        data: Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Check the password; then the MFA step if the person has one, else straight in."""
        ip = client_ip(request) or "unknown"
        if not await allow(identity.db, f"signin:{ip}", SIGN_INS_PER_MINUTE_PER_IP, 60):
            return _signin_page(request, data, {"form": _wait_message(60)}, status=429)
        if not data.email.strip() or not data.password:
            errors: FieldErrors = {}
            if not data.email.strip():
                errors["email"] = _("Enter your email address.")
            if not data.password:
                errors["password"] = _("Enter your password.")
            return _signin_page(request, data, errors, status=422)
        outcome = await identity.sign_in(data.email, data.password, ip)
        if outcome.retry_after is not None:
            wait = _wait_message(outcome.retry_after.total_seconds())
            return _signin_page(request, data, {"form": wait}, status=429)
        if outcome.user_id is None:
            # The same words whether the account exists or not.
            message = _("That email address and password do not match an account.")
            return _signin_page(request, data, {"form": message}, status=401)
        accounts = await identity.care_accounts(outcome.user_id)
        if not accounts:
            message = _(
                "Your account is not active in any care account. "
                "Ask the administrator of your care account."
            )
            return _signin_page(request, data, {"form": message}, status=403)
        preferred = cookies.read(request, LAST_TENANT_COOKIE)
        account = next((a for a in accounts if str(a.tenant_id) == preferred), accounts[0])
        previous: AccessScope | None = request.scope.get("auth")
        if previous is not None:
            # Signing in over a live session (a shared phone, a second try after the code
            # step): the earlier session ends here rather than lingering until it times out.
            await identity.end_session(previous.tenant_id, previous.session_id)
        issued = await identity.start_session(
            outcome.user_id,
            account.tenant_id,
            **client_of(request),
            mfa_verified=not outcome.mfa_enabled,
        )
        target = safe_next(data.next)
        if outcome.mfa_enabled:
            target = "/login/mfa" + (f"?next={quote(target, safe='/')}" if target != "/" else "")
        return set_session_cookie(Redirect(landing(target), status_code=303), issued, request)

    @get("/login/mfa", name="login_mfa", opt={"mfa_step": True})
    async def mfa_form(self, request: Request, me: Me, next: FromQuery[str] = "/") -> Response[Any]:
        """The code from the authenticator app, or a recovery code."""
        if not me.mfa_pending:
            return Redirect(landing(next), status_code=303)
        context = {"errors": {}, "next": safe_next(next)}
        return render(request, "identity/mfa_verify.html", context=context)

    @post("/login/mfa", opt={"mfa_step": True, "observer_may_write": True})
    async def mfa_submit(
        self,
        request: Request,
        me: Me,
        identity: Identity,
        data: Annotated[CodeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        next: FromQuery[str] = "/",
    ) -> Response[Any]:
        """Check the code; on success the session token is replaced by a verified one."""
        ip = client_ip(request) or "unknown"
        if not await allow(identity.db, f"mfa:{ip}", SIGN_INS_PER_MINUTE_PER_IP, 60):
            errors = {"code": _wait_message(60)}
            return render(
                request,
                "identity/mfa_verify.html",
                context={"errors": errors, "next": safe_next(next)},
                status_code=429,
            )
        # Wrong codes are counted per person as well as per address: six digits fall to
        # guessing from many addresses unless the account itself slows down.
        subject = throttle.second_factor_subject(me.user_id)
        verdict = await throttle.check(identity.db, subject, ip)
        if not verdict.allowed:
            errors = {"code": _wait_message(verdict.retry_after.total_seconds())}
            return render(
                request,
                "identity/mfa_verify.html",
                context={"errors": errors, "next": safe_next(next)},
                status_code=429,
            )
        if not await _second_factor_ok(request, identity, me, data.code):
            await throttle.record_failure(identity.db, subject, ip)
            await commit(identity.db)  # counted, although this answer rolls back
            errors = {"code": _("That code did not work. Check the app and try the newest code.")}
            return render(
                request,
                "identity/mfa_verify.html",
                context={"errors": errors, "next": safe_next(next)},
                status_code=422,
            )
        await throttle.record_success(identity.db, subject)
        issued = await identity.replace_session(
            me, me.tenant_id, **client_of(request), mfa_verified=True
        )
        return set_session_cookie(Redirect(landing(next), status_code=303), issued, request)

    @post("/logout", opt={"mfa_step": True, "mfa_enrolment": True, "observer_may_write": True})
    async def logout(
        self,
        request: Request,
        me: Me,
        identity: Identity,
    ) -> Response[Any]:
        """Sign out here: this session ends now, on the server as well as in the browser."""
        await identity.end_session(me.tenant_id, me.session_id)
        return clear_session_cookie(Redirect("/login", status_code=303), request)

    @post("/switch", opt={"observer_may_write": True})
    async def switch(
        self,
        request: Request,
        me: Me,
        identity: Identity,
        data: Annotated[SwitchForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Move to another care account the person belongs to: a new session there."""
        try:
            target = uuid.UUID(data.tenant_id)
        except ValueError as exc:
            raise NotFoundException from exc
        accounts = await identity.care_accounts(me.user_id)
        if target not in {a.tenant_id for a in accounts}:
            raise NotFoundException
        issued = await identity.replace_session(
            me, target, **client_of(request), mfa_verified=me.mfa_verified or not me.mfa_enabled
        )
        response = set_session_cookie(Redirect(LANDING, status_code=303), issued, request)
        return cookies.set_on(
            response, request, LAST_TENANT_COOKIE, str(target), max_age=365 * 24 * 3600
        )


async def _second_factor_ok(
    request: Request, identity: IdentityService, me: AccessScope, code: str
) -> bool:
    user_secret = await identity.mfa_secret(me.user_id)
    if user_secret is None:
        return False
    secret = mfa.open_secret(request.app.state.mfa_key, me.user_id, user_secret)
    step = mfa.matching_step(secret, code)
    if step is not None:
        return await mfa.accept_step(identity.db, me.user_id, step)
    return await mfa.use_recovery_code(identity.db, me.user_id, code)
