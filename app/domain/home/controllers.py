"""The home page."""

from __future__ import annotations

from typing import ClassVar

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from app.domain.tenants.deps import provide_tenant_service
from app.domain.tenants.services import TenantService
from app.lib.htmx import render


class HomeController(Controller):
    opt: ClassVar[dict[str, object]] = {"public": True}
    dependencies: ClassVar[dict[str, Provide]] = {"tenants": Provide(provide_tenant_service)}

    @get("/", name="home")
    async def home(self, request: Request, tenants: NamedDependency[TenantService]) -> Template:
        """The signed-in person's starting points, or the welcome page for a visitor."""
        if request.scope.get("auth") is not None:
            return render(request, "home/signed_in.html")
        return render(
            request,
            "home/page.html",
            "home/partials/_welcome.html",
            {"has_tenants": await tenants.any_exist()},
        )
