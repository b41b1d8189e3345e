"""The plan page: the care account's plan, what each plan includes, and (self-hosted)
the choice of plan."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from babel.lists import format_list
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.billing import services
from app.domain.billing.plans import (
    module_label,
    modules_gained,
    modules_lost,
    plan_label,
    tiers,
)
from app.domain.billing.schemas import PlanForm
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import admin_only
from app.lib.forms import FieldErrors
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _, current_locale

PAGE = "billing/plan.html"
PARTIAL = "billing/partials/_plan.html"


def _self_hosted(request: Request) -> bool:
    return request.app.state.settings.billing.self_hosted


def _names(modules: tuple[str, ...]) -> str:
    """The modules named as a list in the reader's language ("Vitals and Medicines")."""
    labels = [module_label(module) for module in modules]
    try:
        return format_list(labels, locale=current_locale())
    except ValueError:  # a locale Babel has no list patterns for
        return ", ".join(labels)


def _plans(current: str) -> list[dict[str, Any]]:
    """Each plan, and every module marked included or not (in the reader's language)."""
    known = tiers()
    return [
        {
            "slug": slug,
            "label": plan_label(slug),
            "current": slug == current,
            "count": len(included),
            "total": len(known.modules),
            "modules": [
                {"label": module_label(module), "included": module in included}
                for module in known.modules
            ],
        }
        for slug, included in known.plans.items()
    ]


def _page(
    request: Request,
    current: str,
    form: PlanForm,
    errors: FieldErrors | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Template:
    context = {
        "current": {"slug": current, "label": plan_label(current)},
        "plans": _plans(current),
        "self_hosted": _self_hosted(request),
        "form": form,
        "errors": errors or {},
        "saved": False,
        "refused": False,
        "confirm": None,
        **extra,
    }
    return render(request, PAGE, PARTIAL, context, status_code=status, headers=headers)


class PlanController(Controller):
    path = "/settings/plan"
    guards: ClassVar[list[Any]] = [admin_only]
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    @get("/", name="plan_settings")
    async def show(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        saved: FromQuery[bool] = False,
    ) -> Template:
        """The care account's plan and what every plan includes; self-hosted, a choice."""
        current = await services.load_plan(db_session, me.tenant_id)
        return _page(request, current, PlanForm(plan=current), saved=saved)

    @post("/")
    async def change(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        data: Annotated[PlanForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Move the care account to the chosen plan. A plan with fewer modules is asked
        about first; nothing recorded in a module is deleted, it is only hidden."""
        current = await services.load_plan(db_session, me.tenant_id)
        if not _self_hosted(request):
            return _page(request, current, PlanForm(plan=current), status=403, refused=True)
        errors = data.errors()
        if errors:
            return _page(request, current, data, errors, status=422)
        lost = modules_lost(current, data.plan)
        if lost and not data.confirmed:
            confirm = {
                "plan": data.plan,
                "plan_label": plan_label(data.plan),
                "lost": _names(lost),
            }
            return _page(request, current, data, confirm=confirm)
        changed_from = await services.change_plan(db_session, me, request, data.plan)
        if wants_partial(request):
            message = _("Plan changed to %(plan)s.", plan=plan_label(data.plan))
            if changed_from is None:
                message = _("That is already your plan.")
            elif gained := modules_gained(changed_from, data.plan):
                message = _(
                    "Plan changed to %(plan)s. Carers can now use: %(modules)s.",
                    plan=plan_label(data.plan),
                    modules=_names(gained),
                )
            return _page(request, data.plan, PlanForm(plan=data.plan), headers=toast(message))
        if changed_from is None:
            return Redirect("/settings/plan", status_code=303)
        return Redirect("/settings/plan?saved=true", status_code=303)
