"""MFA set-up: scan a QR code, confirm a code, keep the recovery codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Response, Template
from sqlalchemy import update

from app.db.models import User
from app.domain.identity import mfa
from app.domain.identity.access import AccessScope
from app.domain.identity.cookies import client_of, set_session_cookie
from app.domain.identity.deps import Identity, Me, provide_identity, provide_me
from app.domain.identity.services import IdentityService
from app.lib.htmx import render
from app.lib.i18n import _


@dataclass
class ConfirmForm:
    code: str = ""


class MfaSetupController(Controller):
    path = "/account/mfa"
    opt: ClassVar[dict[str, Any]] = {"mfa_enrolment": True, "observer_may_write": True}
    dependencies: ClassVar[dict[str, Provide]] = {
        "identity": Provide(provide_identity),
        "me": Provide(provide_me),
    }

    @get("/", name="mfa_setup")
    async def show(
        self,
        request: Request,
        me: Me,
        identity: Identity,
    ) -> Template:
        """Set-up (a QR code and the key to type), or the state of MFA once it is on."""
        if me.mfa_enabled:
            remaining = await mfa.remaining_recovery_codes(identity.db, me.user_id)
            return render(request, "identity/mfa_status.html", context={"remaining": remaining})
        return render(
            request,
            "identity/mfa_setup.html",
            context=await _setup_context(request, me, identity, {}),
        )

    @post("/")
    async def confirm(
        self,
        request: Request,
        me: Me,
        identity: Identity,
        data: Annotated[ConfirmForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Turn MFA on once a code from the app proves it is set up; show recovery codes."""
        if me.mfa_enabled:
            return render(request, "identity/mfa_status.html", context={"remaining": None})
        sealed = await identity.mfa_secret(me.user_id)
        step = None
        if sealed is not None:
            secret = mfa.open_secret(request.app.state.mfa_key, me.user_id, sealed)
            step = mfa.matching_step(secret, data.code)
        if step is None or not await mfa.accept_step(identity.db, me.user_id, step):
            errors = {"code": _("That code did not work. Check the app and try the newest code.")}
            context = await _setup_context(request, me, identity, errors)
            return render(request, "identity/mfa_setup.html", context=context, status_code=422)
        await identity.db.execute(
            update(User).where(User.id == me.user_id).values(mfa_enabled_at=datetime.now(UTC))
        )
        codes = await mfa.replace_recovery_codes(identity.db, me.user_id)
        # The session that proved the factor is replaced by a verified one.
        issued = await identity.replace_session(
            me, me.tenant_id, **client_of(request), mfa_verified=True
        )
        page = render(request, "identity/recovery_codes.html", context={"codes": codes})
        return set_session_cookie(page, issued, request)

    @post("/recovery-codes", opt={"mfa_enrolment": False})
    async def new_codes(
        self,
        request: Request,
        me: Me,
        identity: Identity,
    ) -> Template:
        """Replace the recovery codes (the old ones stop working at once)."""
        codes = await mfa.replace_recovery_codes(identity.db, me.user_id)
        return render(request, "identity/recovery_codes.html", context={"codes": codes})


async def _setup_context(
    request: Request, me: AccessScope, identity: IdentityService, errors: dict[str, str]
) -> dict[str, Any]:
    key = request.app.state.mfa_key
    sealed = await identity.mfa_secret(me.user_id)
    if sealed is None:
        secret = mfa.new_secret()
        await identity.db.execute(
            update(User)
            .where(User.id == me.user_id)
            .values(mfa_secret=mfa.seal_secret(key, me.user_id, secret), mfa_last_step=None)
        )
    else:
        secret = mfa.open_secret(key, me.user_id, sealed)
    uri = mfa.provisioning_uri(secret, me.email)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr": mfa.qr_svg(uri), "secret": grouped, "errors": errors}
