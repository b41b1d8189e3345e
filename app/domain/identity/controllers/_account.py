"""The account page: who you are, your care accounts, MFA, and signing out everywhere."""

from __future__ import annotations

from typing import Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.response import Redirect, Response, Template

from app.domain.identity.cookies import clear_session_cookie
from app.domain.identity.deps import Identity, Me, provide_identity, provide_me
from app.lib.htmx import render


class AccountController(Controller):
    path = "/account"
    dependencies: ClassVar[dict[str, Provide]] = {
        "identity": Provide(provide_identity),
        "me": Provide(provide_me),
    }

    @get("/", name="account")
    async def show(
        self,
        request: Request,
        me: Me,
        identity: Identity,
    ) -> Template:
        """The signed-in person's own page."""
        accounts = await identity.care_accounts(me.user_id)
        return render(request, "identity/account.html", context={"accounts": accounts})

    @post("/sign-out-everywhere", opt={"observer_may_write": True})
    async def sign_out_everywhere(
        self,
        request: Request,
        me: Me,
        identity: Identity,
    ) -> Response[Any]:
        """End every session of this person, on every device and in every care account."""
        await identity.end_every_session(me.user_id)
        return clear_session_cookie(Redirect("/login", status_code=303), request)
