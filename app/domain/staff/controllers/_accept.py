"""Accepting an invitation: open to anyone holding the link, limited per address."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import TooManyRequestsException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template

from app.domain.audit.services import client_ip
from app.domain.identity.cookies import set_session_cookie
from app.domain.identity.deps import Identity, provide_identity
from app.domain.staff.deps import Acceptance, provide_acceptance
from app.domain.staff.invites import (
    AccountExists,
    InviteAcceptance,
    InviteGone,
    OpenInvite,
    WrongPassword,
    parse_link_key,
)
from app.domain.staff.schemas import AcceptForm, role_label
from app.lib.forms import FieldErrors, form_values
from app.lib.htmx import render
from app.lib.i18n import _
from app.lib.rate_limit import allow

VISITS_PER_HOUR_PER_IP = 20
# Gone, whatever the reason: whoever holds a dead link learns nothing more from it.
GONE = 410


def _gone(request: Request) -> Template:
    return render(request, "invites/gone.html", status_code=GONE)


def _page(
    request: Request,
    key: str,
    invite: OpenInvite,
    form: AcceptForm,
    errors: FieldErrors,
    status: int = 200,
) -> Template:
    context = {
        "key": key,
        "invite": invite,
        "existing": invite.existing_user_id is not None,
        "role": role_label(invite.role),
        "form": form_values(form),
        "errors": errors,
    }
    return render(request, "invites/accept.html", context=context, status_code=status)


async def _open(request: Request, acceptance: InviteAcceptance, key: str) -> OpenInvite | None:
    """The invite behind a link, within the per-address limit; None if it cannot be used."""
    ip = client_ip(request) or "unknown"
    if not await allow(acceptance.db, f"invite:{ip}", VISITS_PER_HOUR_PER_IP, 3600):
        raise TooManyRequestsException
    parsed = parse_link_key(key)
    if parsed is None:
        return None
    try:
        return await acceptance.open(*parsed)
    except InviteGone:
        return None


class AcceptInviteController(Controller):
    path = "/invites"
    opt: ClassVar[dict[str, Any]] = {"public": True}
    dependencies: ClassVar[dict[str, Provide]] = {
        "acceptance": Provide(provide_acceptance),
        "identity": Provide(provide_identity),
    }

    @get("/{key:str}", name="invite_accept")
    async def show(self, request: Request, acceptance: Acceptance, key: FromPath[str]) -> Template:
        """Who invites you and as what; a form to join (new name and password, or the
        password of the account this email already has)."""
        invite = await _open(request, acceptance, key)
        if invite is None:
            return _gone(request)
        return _page(request, key, invite, AcceptForm(), {})

    @post("/{key:str}")
    async def accept(
        self,
        request: Request,
        acceptance: Acceptance,
        identity: Identity,
        key: FromPath[str],
        data: Annotated[AcceptForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Join the care account, use up the invite, and sign in; MFA set-up may follow."""
        invite = await _open(request, acceptance, key)
        if invite is None:
            return _gone(request)
        ip = client_ip(request)
        try:
            if invite.existing_user_id is not None:
                if not data.password:
                    errors = {"password": _("Enter your password.")}
                    return _page(request, key, invite, data, errors, status=422)
                user_id = await acceptance.join_with_password(invite, data.password, ip)
            else:
                errors = data.new_person_errors(invite.email)
                if errors:
                    return _page(request, key, invite, data, errors, status=422)
                user_id = await acceptance.join_as_new_person(
                    invite, data.display_name, data.password, ip
                )
        except WrongPassword:
            errors = {"password": _("That password is not right for this account.")}
            return _page(request, key, invite, data, errors, status=422)
        except AccountExists:
            message = _(
                "This email address has just been given an account elsewhere. Reload this "
                "page and enter that account's password."
            )
            return _page(request, key, invite, data, {"form": message}, status=422)
        except InviteGone:
            return _gone(request)
        issued = await identity.start_session(
            user_id,
            invite.tenant_id,
            ip=ip,
            user_agent=request.headers.get("user-agent"),
            mfa_verified=False,
        )
        return set_session_cookie(Redirect("/today", status_code=303), issued, request)
