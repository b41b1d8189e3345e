"""The staff list and each member's page: role, deactivation, reactivation, MFA reset."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, ClassVar
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from app.db.models import Role
from app.domain.identity.access import AccessScope
from app.domain.identity.cookies import clear_session_cookie
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import admin_only
from app.domain.staff.deps import Invites, Staff, provide_invites, provide_staff
from app.domain.staff.schemas import RoleForm, format_day, parse_role, role_choices, role_label
from app.domain.staff.services import (
    LastAdmin,
    Member,
    MemberNotFound,
    MemberPage,
    OwnMfa,
    PageKey,
    StaffService,
)
from app.lib.forms import FieldErrors
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _

MEMBER_PAGE = "staff/member.html"
MEMBER_PARTIAL = "staff/partials/_member.html"
CONFIRM_PAGE = "staff/confirm.html"
CONFIRM_PARTIAL = "staff/partials/_confirm.html"


def done_message(code: str) -> str | None:
    """What a finished change did, for the toast (htmx) or the notice after a redirect."""
    messages = {
        "role": _("Role changed. It applies from the next page they open."),
        "deactivated": _("Deactivated. They are signed out and cannot sign in here."),
        "reactivated": _("Reactivated. They can sign in again."),
        "mfa_reset": _(
            "Two-step sign-in reset. They are signed out and set it up again at their next sign-in."
        ),
        "invite_revoked": _("Invitation withdrawn. Its link no longer works."),
    }
    return messages.get(code)


def last_admin_message() -> str:
    return _(
        "This is the only active administrator. Make someone else an administrator first, "
        "so the care account is never left without one."
    )


def _key(name: str | None, user_id: uuid.UUID | None) -> PageKey | None:
    return PageKey(name, user_id) if name is not None and user_id is not None else None


def _page_url(q: str, direction: str, key: PageKey | None) -> str | None:
    if key is None:
        return None
    params = {"q": q} if q else {}
    params |= {f"{direction}_name": key.name, f"{direction}_id": str(key.user_id)}
    return "/staff?" + urlencode(params)


def _list_context(page: MemberPage, q: str, invites: list[Any], done: str) -> dict[str, Any]:
    return {
        "page": page,
        "q": q,
        "next_url": _page_url(q, "after", page.next_key),
        "previous_url": _page_url(q, "before", page.previous_key),
        "invites": invites,
        "done": done_message(done),
        "role_label": role_label,
        "format_day": format_day,
    }


def _member_context(
    me: AccessScope, member: Member, errors: FieldErrors | None = None, done: str = ""
) -> dict[str, Any]:
    return {
        "member": member,
        "is_me": member.user_id == me.user_id,
        "roles": role_choices(),
        "role_label": role_label,
        "errors": errors or {},
        "done": done_message(done),
    }


def _changed(request: Request, me: AccessScope, member: Member, code: str) -> Response[Any]:
    """The member card and a toast for htmx; a redirect to the member page otherwise."""
    if wants_partial(request):
        return render(
            request,
            MEMBER_PAGE,
            MEMBER_PARTIAL,
            _member_context(me, member),
            headers=toast(done_message(code) or ""),
        )
    return Redirect(f"/staff/{member.user_id}?done={code}", status_code=303)


def _refused(request: Request, me: AccessScope, member: Member, message: str) -> Template:
    context = _member_context(me, member, {"form": message})
    return render(request, MEMBER_PAGE, MEMBER_PARTIAL, context, status_code=422)


def _go(request: Request, location: str) -> Response[Any]:
    """Leave for another page: htmx follows HX-Redirect, a browser a 303."""
    if getattr(request, "htmx", None):
        return Response(b"", status_code=200, headers={"HX-Redirect": location})
    return Redirect(location, status_code=303)


async def _member(staff: StaffService, user_id: uuid.UUID) -> Member:
    try:
        return await staff.get(user_id)
    except MemberNotFound as exc:
        raise NotFoundException from exc


class StaffController(Controller):
    path = "/staff"
    guards: ClassVar[list[Any]] = [admin_only]
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "staff": Provide(provide_staff),
        "invites": Provide(provide_invites),
    }

    @get("/", name="staff")
    async def index(
        self,
        request: Request,
        staff: Staff,
        invites: Invites,
        q: FromQuery[str] = "",
        after_name: FromQuery[str | None] = None,
        after_id: FromQuery[uuid.UUID | None] = None,
        before_name: FromQuery[str | None] = None,
        before_id: FromQuery[uuid.UUID | None] = None,
        done: FromQuery[str] = "",
    ) -> Template:
        """Members by name (25 a page, searchable by name or email) and pending invites."""
        q = q.strip()[:200]
        page = await staff.page(
            q, after=_key(after_name, after_id), before=_key(before_name, before_id)
        )
        context = _list_context(page, q, await invites.pending(), done)
        return render(request, "staff/list.html", "staff/partials/_members.html", context)

    @get("/{user_id:uuid}", name="staff_member")
    async def show(
        self,
        request: Request,
        me: Me,
        staff: Staff,
        user_id: FromPath[uuid.UUID],
        done: FromQuery[str] = "",
    ) -> Template:
        """One member: who they are, their role and status, and what can be changed."""
        member = await _member(staff, user_id)
        context = _member_context(me, member, done=done)
        return render(request, MEMBER_PAGE, MEMBER_PARTIAL, context)

    @post("/{user_id:uuid}/role")
    async def change_role(
        self,
        request: Request,
        me: Me,
        staff: Staff,
        user_id: FromPath[uuid.UUID],
        data: Annotated[RoleForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Give the member another role; it applies from their next request."""
        member = await _member(staff, user_id)
        errors = data.errors()
        role = parse_role(data.role)
        if errors or role is None:
            context = _member_context(me, member, errors)
            return render(request, MEMBER_PAGE, MEMBER_PARTIAL, context, status_code=422)
        try:
            member = await staff.change_role(user_id, role)
        except LastAdmin:
            return _refused(request, me, member, last_admin_message())
        if user_id == me.user_id and role != Role.ADMIN:
            return _go(request, "/")  # no longer an admin: this page is closed to them now
        return _changed(request, me, member, "role")

    @get("/{user_id:uuid}/deactivate", name="staff_deactivate")
    async def confirm_deactivate(
        self, request: Request, me: Me, staff: Staff, user_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Ask before deactivating."""
        member = await _member(staff, user_id)
        if not member.is_active:
            return Redirect(f"/staff/{user_id}", status_code=303)
        return _confirm(request, me, member, "deactivate")

    @post("/{user_id:uuid}/deactivate")
    async def deactivate(
        self, request: Request, me: Me, staff: Staff, user_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Stop the member signing in here; their sessions end at once."""
        member = await _member(staff, user_id)
        try:
            member = await staff.deactivate(user_id)
        except LastAdmin:
            return _refused(request, me, member, last_admin_message())
        if user_id == me.user_id:
            return clear_session_cookie(_go(request, "/login"), request)
        return _changed(request, me, member, "deactivated")

    @post("/{user_id:uuid}/reactivate")
    async def reactivate(
        self, request: Request, me: Me, staff: Staff, user_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Let a deactivated member sign in again."""
        await _member(staff, user_id)
        member = await staff.reactivate(user_id)
        return _changed(request, me, member, "reactivated")

    @get("/{user_id:uuid}/mfa-reset", name="staff_mfa_reset")
    async def confirm_mfa_reset(
        self, request: Request, me: Me, staff: Staff, user_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Ask before resetting two-step sign-in."""
        member = await _member(staff, user_id)
        if user_id == me.user_id or not member.mfa_enabled:
            return Redirect(f"/staff/{user_id}", status_code=303)
        return _confirm(request, me, member, "mfa_reset")

    @post("/{user_id:uuid}/mfa-reset")
    async def reset_mfa(
        self, request: Request, me: Me, staff: Staff, user_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Clear the member's second factor and end their sessions."""
        member = await _member(staff, user_id)
        try:
            member = await staff.reset_mfa(user_id)
        except OwnMfa:
            message = _("Manage your own two-step sign-in from your account page.")
            return _refused(request, me, member, message)
        return _changed(request, me, member, "mfa_reset")


def _confirm(request: Request, me: AccessScope, member: Member, action: str) -> Template:
    context = _member_context(me, member) | {"action": action}
    return render(request, CONFIRM_PAGE, CONFIRM_PARTIAL, context)
