"""The language picker: choose the interface language, kept in a cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from app.lib import cookies, i18n
from app.lib.htmx import render

YEAR = 365 * 24 * 3600


@dataclass
class LanguageForm:
    locale: str = ""
    next: str = "/"


def safe_next(target: str) -> str:
    """Only a path on this site: an open redirect would let a link send people anywhere."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


class LanguageController(Controller):
    path = "/settings/language"
    # Anyone may choose a language, signed in or not, observers included.
    opt: ClassVar[dict[str, object]] = {"public": True, "observer_may_write": True}

    @get("/", name="language")
    async def show(self, request: Request, next: FromQuery[str] = "/") -> Template:
        """The list of languages, the current one chosen."""
        return render(request, "settings/language.html", context=_context(next))

    @post("/", status_code=303)
    async def choose(
        self,
        request: Request,
        data: Annotated[LanguageForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect | Template:
        """Remember the chosen language and go back to where the user was."""
        if data.locale not in i18n.available_locales():
            context = _context(data.next) | {"error": i18n._("Choose one of the languages listed.")}
            return render(request, "settings/language.html", context=context, status_code=422)
        response = Redirect(safe_next(data.next), status_code=303)
        return cookies.set_on(response, request, i18n.LOCALE_COOKIE, data.locale, max_age=YEAR)


def _context(next_path: str) -> dict[str, object]:
    return {
        "languages": [(code, i18n.language_name(code)) for code in i18n.available_locales()],
        "next": safe_next(next_path),
        "error": None,
    }
