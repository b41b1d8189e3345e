"""The care account settings page: its name, session limits and the MFA rule."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import admin_only
from app.domain.tenant_settings import services
from app.domain.tenant_settings.schemas import CareAccountForm
from app.lib.forms import FieldErrors
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _

PAGE = "tenant_settings/page.html"
PARTIAL = "tenant_settings/partials/_form.html"


def _form(
    request: Request,
    form: CareAccountForm,
    errors: FieldErrors,
    *,
    saved: bool = False,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    context = {
        "form": form,
        "errors": errors,
        "saved": saved,
        "idle": services.IDLE_MINUTES,
        "lifetime": services.LIFETIME_HOURS,
        "dose_window": services.DOSE_WINDOW_MINUTES,
        "escalate_after": services.ESCALATE_AFTER_MINUTES,
    }
    return render(request, PAGE, PARTIAL, context, status_code=status, headers=headers)


class CareAccountSettingsController(Controller):
    path = "/settings/care-account"
    guards: ClassVar[list[Any]] = [admin_only]
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    @get("/", name="care_account_settings")
    async def show(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        saved: FromQuery[bool] = False,
    ) -> Template:
        """The settings form, filled in with the care account's settings."""
        current = await services.load(db_session, me.tenant_id)
        return _form(request, CareAccountForm.from_settings(current), {}, saved=saved)

    @post("/")
    async def save(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        data: Annotated[CareAccountForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Check and store the settings; they apply to every request from now on (the
        session lifetime to sessions started from now on)."""
        errors = data.errors()
        if errors:
            return _form(request, data, errors, status=422)
        await services.save(db_session, me, request, data.settings())
        if wants_partial(request):
            return _form(request, data, {}, headers=toast(_("Settings saved.")))
        return Redirect("/settings/care-account?saved=true", status_code=303)
