"""Sign-up: a new care account and its first administrator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response, Template

from app.domain.audit.services import client_ip
from app.domain.identity.cookies import client_of, set_session_cookie
from app.domain.identity.deps import Identity, provide_identity
from app.domain.identity.password_policy import password_problem
from app.domain.identity.services import EmailTaken
from app.lib.forms import FieldErrors, form_values, looks_like_email
from app.lib.htmx import render
from app.lib.i18n import _
from app.lib.rate_limit import allow

SIGNUPS_PER_HOUR_PER_IP = 10


@dataclass
class SignUpForm:
    care_account: str = ""
    display_name: str = ""
    email: str = ""
    password: str = ""

    def errors(self) -> FieldErrors:
        errors: FieldErrors = {}
        if not self.care_account.strip():
            errors["care_account"] = _("Give your care account a name, such as your family name.")
        elif len(self.care_account.strip()) > 200:
            errors["care_account"] = _("Use at most %(count)s characters.", count=200)
        if not self.display_name.strip():
            errors["display_name"] = _("Enter your name.")
        elif len(self.display_name.strip()) > 200:
            errors["display_name"] = _("Use at most %(count)s characters.", count=200)
        if not looks_like_email(self.email):
            errors["email"] = _("Enter an email address, like name@example.com.")
        problem = password_problem(self.password, email=self.email, name=self.display_name)
        if problem:
            errors["password"] = problem
        return errors


def _page(request: Request, form: SignUpForm, errors: FieldErrors, status: int = 200) -> Template:
    context: dict[str, Any] = {"form": form_values(form), "errors": errors}
    return render(request, "identity/signup.html", context=context, status_code=status)


class SignUpController(Controller):
    path = "/signup"
    opt: ClassVar[dict[str, Any]] = {"public": True}
    dependencies: ClassVar[dict[str, Provide]] = {"identity": Provide(provide_identity)}

    @get("/", name="signup")
    async def show(self, request: Request) -> Template:
        """The sign-up form."""
        return _page(request, SignUpForm(), {})

    @post("/")
    async def submit(
        self,
        request: Request,
        identity: Identity,
        data: Annotated[SignUpForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Create the care account and sign its first admin in; MFA set-up comes next."""
        ip = client_ip(request) or "unknown"
        if not await allow(identity.db, f"signup:{ip}", SIGNUPS_PER_HOUR_PER_IP, 3600):
            errors = {"form": _("Too many care accounts were created from here. Try again later.")}
            return _page(request, data, errors, status=429)
        errors = data.errors()
        if errors:
            return _page(request, data, errors, status=422)
        try:
            tenant_id, user_id = await identity.sign_up(
                data.care_account, data.display_name, data.email, data.password
            )
        except EmailTaken:
            errors = {"email": _("This email address already has an account. Sign in instead.")}
            return _page(request, data, errors, status=422)
        issued = await identity.start_session(
            user_id,
            tenant_id,
            **client_of(request),
            mfa_verified=False,
        )
        return set_session_cookie(Redirect("/account/mfa", status_code=303), issued, request)
