"""Changing one's password, and resetting a forgotten one by an emailed link."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import TooManyRequestsException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import client_ip
from app.domain.identity import throttle
from app.domain.identity.controllers._signin import SIGN_INS_PER_MINUTE_PER_IP, _wait_message
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.password_forms import ChangeForm, ForgotForm, NewPasswordForm
from app.domain.identity.passwords import (
    OpenReset,
    PasswordService,
    ResetGone,
    WrongPassword,
    change_subject,
)
from app.domain.identity.reset_mail import reset_message
from app.domain.staff import mail
from app.lib.forms import FieldErrors, form_values
from app.lib.htmx import render
from app.lib.i18n import _
from app.lib.rate_limit import allow
from app.lib.unit_of_work import commit

REQUESTS_PER_HOUR_PER_IP = 10
# Per address typed: enough for a lost email, too few to flood someone's inbox.
REQUESTS_PER_HOUR_PER_ACCOUNT = 3
LINK_VISITS_PER_HOUR_PER_IP = 20
GONE = 410
SECRETS = ("current_password",)
_NEW = ("new_password", "confirm_password")


async def provide_passwords(
    request: Request, db_session: NamedDependency[AsyncSession]
) -> PasswordService:
    return PasswordService(db_session, request)


Passwords = NamedDependency[PasswordService]


def _change_page(
    request: Request, form: ChangeForm, errors: FieldErrors, status: int = 200, done: bool = False
) -> Template:
    # The new password is put back when only the current one was wrong; never the current.
    keep_new = bool(errors) and not (errors.keys() & set(_NEW))
    values = form_values(form, without=SECRETS if keep_new else (*SECRETS, *_NEW))
    context = {"form": values, "errors": errors, "keep_new": keep_new, "done": done}
    return render(request, "identity/password_change.html", context=context, status_code=status)


class PasswordChangeController(Controller):
    path = "/account/password"
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "passwords": Provide(provide_passwords),
    }

    @get("/", name="account_password")
    async def show(self, request: Request, done: FromQuery[str] = "") -> Template:
        """The form: current password, the new one twice."""
        return _change_page(request, ChangeForm(), {}, done=done == "1")

    @post("/", opt={"observer_may_write": True})
    async def submit(
        self,
        request: Request,
        me: Me,
        passwords: Passwords,
        data: Annotated[ChangeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Set the new password; this session continues and every other one ends."""
        db = passwords.db
        ip = client_ip(request) or "unknown"
        if not await allow(db, f"password:{ip}", SIGN_INS_PER_MINUTE_PER_IP, 60):
            return _change_page(request, data, {"form": _wait_message(60)}, status=429)
        errors = data.errors(email=me.email, name=me.display_name)
        if errors:
            return _change_page(request, data, errors, status=422)
        subject = change_subject(me.user_id)
        verdict = await throttle.check(db, subject, ip)
        if not verdict.allowed:
            wait = _wait_message(verdict.retry_after.total_seconds())
            return _change_page(request, data, {"form": wait}, status=429)
        try:
            await passwords.change(me, data.current_password, data.new_password)
        except WrongPassword:
            await throttle.record_failure(db, subject, ip)
            await commit(db)  # counted, although this answer rolls back
            errors = {"current_password": _("That is not your current password.")}
            return _change_page(request, data, errors, status=422)
        await throttle.record_success(db, subject)
        return Redirect("/account/password?done=1", status_code=303)


def _smtp(request: Request) -> mail.SmtpServer | None:
    return mail.smtp_server(request.app.state.settings.mail)


def _forgot_page(
    request: Request, form: ForgotForm, errors: FieldErrors, status: int = 200
) -> Template:
    context = {"form": form_values(form), "errors": errors, "can_email": _smtp(request) is not None}
    return render(request, "identity/password_forgot.html", context=context, status_code=status)


def _reset_page(
    request: Request,
    token: str,
    reset: OpenReset,
    errors: FieldErrors,
    status: int = 200,
) -> Template:
    context = {"token": token, "reset": reset, "errors": errors}
    return render(request, "identity/password_reset.html", context=context, status_code=status)


def _gone(request: Request) -> Template:
    return render(request, "identity/password_reset_gone.html", status_code=GONE)


async def _open(request: Request, passwords: PasswordService, token: str) -> OpenReset | None:
    """The reset behind a link, within the per-address limit; None if it cannot be used."""
    ip = client_ip(request) or "unknown"
    if not await allow(passwords.db, f"reset-link:{ip}", LINK_VISITS_PER_HOUR_PER_IP, 3600):
        raise TooManyRequestsException
    if len(token) > 100:
        return None
    try:
        return await passwords.open(token)
    except ResetGone:
        return None


class PasswordResetController(Controller):
    path = "/password-reset"
    opt: ClassVar[dict[str, Any]] = {"public": True}
    dependencies: ClassVar[dict[str, Provide]] = {"passwords": Provide(provide_passwords)}

    @get("/", name="password_forgot")
    async def forgot(self, request: Request) -> Template:
        """Ask for a reset link by email; without mail, whom to ask instead."""
        return _forgot_page(request, ForgotForm(), {})

    @post("/")
    async def request_link(
        self,
        request: Request,
        passwords: Passwords,
        data: Annotated[ForgotForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """The same answer whether or not the address has an account; the email, if any,
        goes out after the answer, so the time taken does not tell either."""
        server = _smtp(request)
        if server is None:
            return _forgot_page(request, data, {})
        db = passwords.db
        ip = client_ip(request) or "unknown"
        if not await allow(db, f"reset-request:{ip}", REQUESTS_PER_HOUR_PER_IP, 3600):
            errors = {"form": _("Too many reset links were asked for from here. Try again later.")}
            return _forgot_page(request, data, errors, status=429)
        errors = data.errors()
        if errors:
            return _forgot_page(request, data, errors, status=422)
        account = throttle.account_key(data.email)
        issued = None
        if await allow(db, f"reset-request:{account}", REQUESTS_PER_HOUR_PER_ACCOUNT, 3600):
            issued = await passwords.request_by_email(data.email)
        response = render(
            request, "identity/password_forgot_sent.html", context={"email": data.email.strip()}
        )
        if issued is not None:
            # Committed first: the email must never carry a link that was then rolled back.
            await commit(db)
            settings = request.app.state.settings
            link = (settings.public_url or str(request.base_url).rstrip("/")) + issued.path
            message = reset_message(server, issued.email, link)
            response.background = BackgroundTask(mail.send, server, message)
        return response

    @get("/{token:str}", name="password_reset")
    async def show(self, request: Request, passwords: Passwords, token: FromPath[str]) -> Template:
        """The new password, twice; or why the link no longer works."""
        reset = await _open(request, passwords, token)
        if reset is None:
            return _gone(request)
        return _reset_page(request, token, reset, {})

    @post("/{token:str}")
    async def reset(
        self,
        request: Request,
        passwords: Passwords,
        token: FromPath[str],
        data: Annotated[NewPasswordForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Set the new password, spend the link, and end every session of the person; they
        then sign in with it (and their second factor, if they have one)."""
        reset = await _open(request, passwords, token)
        if reset is None:
            return _gone(request)
        errors = data.errors(email=reset.email, name=reset.display_name)
        if errors:
            return _reset_page(request, token, reset, errors, status=422)
        try:
            await passwords.use(reset, data.new_password)
        except ResetGone:
            return _gone(request)
        return render(request, "identity/password_reset_done.html")
