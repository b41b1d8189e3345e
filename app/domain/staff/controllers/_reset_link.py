"""A password reset link an administrator makes for a member (a care account without
email, or a member who cannot reach theirs), shown once like an invitation."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.domain.identity.controllers._password import Passwords, provide_passwords
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import admin_only
from app.domain.identity.passwords import MemberElsewhere
from app.domain.staff.controllers._members import _member
from app.domain.staff.deps import Staff, provide_staff
from app.lib.htmx import render
from app.lib.i18n import _


class ResetLinkController(Controller):
    path = "/staff"
    guards: ClassVar[list[Any]] = [admin_only]
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "staff": Provide(provide_staff),
        "passwords": Provide(provide_passwords),
    }

    @get("/{user_id:uuid}/password-reset", name="staff_password_reset")
    async def confirm(
        self, request: Request, me: Me, staff: Staff, user_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Ask before making a link: whoever holds it can choose the member's password."""
        member = await _member(staff, user_id)
        if user_id == me.user_id or not member.is_active:
            return Redirect(f"/staff/{user_id}", status_code=303)
        context = {"member": member, "errors": {}}
        return render(request, "staff/password_reset_confirm.html", context=context)

    @post("/{user_id:uuid}/password-reset")
    async def make(
        self,
        request: Request,
        me: Me,
        staff: Staff,
        passwords: Passwords,
        user_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Make the link and show it, this once (only its hash is kept)."""
        member = await _member(staff, user_id)
        if user_id == me.user_id or not member.is_active:
            return Redirect(f"/staff/{user_id}", status_code=303)
        try:
            issued = await passwords.make_for_member(me, user_id)
        except MemberElsewhere:
            message = _(
                "This person also belongs to another care account, so only they can reset "
                "their password: with “Forgot your password?” on the sign-in page, or by "
                "asking an administrator there."
            )
            context = {"member": member, "errors": {"form": message}}
            return render(
                request, "staff/password_reset_confirm.html", context=context, status_code=409
            )
        settings = request.app.state.settings
        link = (settings.public_url or str(request.base_url).rstrip("/")) + issued.path
        context = {"member": member, "link": link}
        return render(request, "staff/password_reset_link.html", context=context)
