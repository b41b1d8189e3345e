"""Inviting people into the care account, and withdrawing invitations not yet used."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import MembershipStatus, Role
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import admin_only
from app.domain.staff import mail
from app.domain.staff.deps import Invites, provide_invites
from app.domain.staff.invites import AlreadyMember
from app.domain.staff.schemas import InviteForm, format_day, role_choices, role_label
from app.lib.forms import FieldErrors, form_values
from app.lib.htmx import render, toast
from app.lib.i18n import _
from app.lib.unit_of_work import commit

FORM_PAGE = "staff/invite.html"
FORM_PARTIAL = "staff/partials/_invite_form.html"


def _form(request: Request, form: InviteForm, errors: FieldErrors, status: int = 200) -> Template:
    context = {"form": form_values(form), "errors": errors, "roles": role_choices()}
    return render(request, FORM_PAGE, FORM_PARTIAL, context, status_code=status)


def _already_member_message(status: MembershipStatus) -> str:
    if status == MembershipStatus.DEACTIVATED:
        return _("This person was deactivated. Reactivate them from the staff list instead.")
    return _("This person is already a member of this care account.")


class InviteController(Controller):
    path = "/staff"
    guards: ClassVar[list[Any]] = [admin_only]
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "invites": Provide(provide_invites),
    }

    @get("/invite", name="staff_invite")
    async def show(self, request: Request) -> Template:
        """The invitation form: an email address and a role."""
        return _form(request, InviteForm(), {})

    @post("/invite")
    async def create(
        self,
        request: Request,
        me: Me,
        invites: Invites,
        db_session: NamedDependency[AsyncSession],
        data: Annotated[InviteForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Make the invitation and show its link (once); email it too when mail is set up."""
        errors = data.errors()
        if errors:
            return _form(request, data, errors, status=422)
        try:
            issued = await invites.issue(data.email, Role(data.role))
        except AlreadyMember as exc:
            return _form(request, data, {"email": _already_member_message(exc.status)}, 422)
        settings = request.app.state.settings
        link = (settings.public_url or str(request.base_url).rstrip("/")) + issued.path
        server = mail.smtp_server(settings.mail)
        emailed: bool | None = None
        if server is not None:
            # Committed first: the email must never carry a link that was then rolled back.
            await commit(db_session)
            message = mail.invite_message(
                server, issued.email, me.tenant_name, me.display_name, link
            )
            emailed = await mail.send(server, message)
        context = {
            "invite": issued,
            "link": link,
            "emailed": emailed,
            "role_label": role_label,
            "format_day": format_day,
        }
        headers = toast(_("Invitation ready."))
        if emailed is False:
            headers = toast(_("The invitation email could not be sent. Share the link."), "warning")
        return render(
            request,
            "staff/invite_created.html",
            "staff/partials/_invite_created.html",
            context,
            headers=headers,
        )

    @get("/invites/{invite_id:uuid}/revoke", name="staff_invite_revoke")
    async def confirm_revoke(
        self, request: Request, invites: Invites, invite_id: FromPath[uuid.UUID]
    ) -> Template:
        """Ask before withdrawing an invitation."""
        invite = await invites.get_pending(invite_id)
        if invite is None:
            raise NotFoundException
        context = {"invite": invite, "role_label": role_label}
        return render(request, "staff/revoke.html", context=context)

    @post("/invites/{invite_id:uuid}/revoke")
    async def revoke(self, invites: Invites, invite_id: FromPath[uuid.UUID]) -> Response[Any]:
        """Withdraw the invitation: its link stops working."""
        if not await invites.revoke(invite_id):
            raise NotFoundException
        return Redirect("/staff?done=invite_revoked", status_code=303)
