"""Languages: catalogs compiled in memory at start, the request's locale, gettext for all.

The locale is the user's choice (the `tend_locale` cookie for now), else the best match
for `Accept-Language`, else the default. It lives in a context variable for the request,
so `_()` in Python and `{% trans %}` in templates both speak the request's language.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from typing import Any

from babel import Locale, negotiate_locale
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations
from litestar import Request
from markupsafe import Markup, escape

from app.config import get_settings
from app.lib import cookies
from app.paths import LOCALES_DIR

LOCALE_COOKIE = "tend_locale"
SOURCE_LOCALE = "en"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


@cache
def available_locales() -> tuple[str, ...]:
    """The source language plus every locale with a catalog in app/locales (read once:
    catalogs ship with the app, and this is asked several times a request)."""
    found = {p.parent.parent.name for p in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po")}
    return tuple(sorted(found | {SOURCE_LOCALE}))


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for `locale`; compiled from the .po in memory, no .mo on disk."""
    po = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


_current: ContextVar[str] = ContextVar("tend_locale", default=SOURCE_LOCALE)


def activate(locale: str) -> None:
    _current.set(locale if locale in available_locales() else SOURCE_LOCALE)


def activate_for(request: Request) -> str:
    """Resolve the request's locale once, remember it on the request, and activate it."""
    state = request.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    locale = state.get("locale")
    if locale is None:
        locale = choose_locale(
            cookies.read(request, LOCALE_COOKIE),
            request.headers.get("accept-language"),
            get_settings().default_locale,
        )
        state["locale"] = locale
    activate(locale)
    return locale


async def activate_request_locale(request: Request) -> None:
    """`before_request` hook."""
    activate_for(request)


def current_locale() -> str:
    return _current.get()


def language_tag(locale: str | None = None) -> str:
    """BCP 47 tag for `<html lang>`: zh_Hans → zh-Hans."""
    return (locale or current_locale()).replace("_", "-")


def text_direction(locale: str | None = None) -> str:
    return "rtl" if (locale or current_locale()).split("_")[0] in RTL_LANGUAGES else "ltr"


def choose_locale(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The user's choice, else the browser's preference, else the tenant's default."""
    supported = available_locales()
    if cookie and cookie in supported:
        return cookie
    for tag in _parse_accept_language(accept_language or ""):
        for candidate in _candidates(tag):
            match = negotiate_locale([candidate], supported, sep="_")
            if match:
                return match
    return default if default in supported else SOURCE_LOCALE


def _candidates(tag: str) -> list[str]:
    """`zh_TW` → zh_TW, zh_Hant, zh: the script decides which Chinese is meant."""
    language, *rest = tag.split("_")
    script = next((part for part in rest if len(part) == 4), None)
    if script is None:
        likely = get_global("likely_subtags")
        expanded = likely.get(tag) or likely.get(language) or ""
        script = next((part for part in expanded.split("_")[1:] if len(part) == 4), None)
    return [tag, *([f"{language}_{script}"] if script else []), language]


def _parse_accept_language(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(ranked)]


@cache
def language_name(locale: str) -> str:
    """A language's own name for itself (endonym), for the language picker."""
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


def gettext(message: str, /, **variables: Any) -> str:
    text = translations(current_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, /, **variables: Any) -> str:
    text = translations(current_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def lazy_gettext(message: str, /, **variables: Any) -> LazyProxy:
    """For strings defined at import time and translated when shown."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


_ = gettext


# In templates both the translation and its variables are escaped: a catalog is data, and
# no message carries markup (markup stays in the template, around the message).
def _jinja_gettext(message: str, **variables: Any) -> Markup:
    # Always format, as Jinja's newstyle gettext does: a literal % in a template message is
    # written %% (Jinja itself doubles it inside {% trans %} blocks).
    text = escape(translations(current_locale()).gettext(message))
    return text % variables


def _jinja_ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
    text = escape(translations(current_locale()).ngettext(singular, plural, n))
    return text % {"num": n, **variables}


def install(environment: Any) -> None:
    """Give a Jinja environment `{% trans %}`, `_()`, and the locale helpers."""
    environment.add_extension("jinja2.ext.i18n")
    environment.newstyle_gettext = True  # the callables below format their own variables
    environment.policies["ext.i18n.trimmed"] = True
    environment.globals.update(
        gettext=_jinja_gettext,
        _=_jinja_gettext,
        ngettext=_jinja_ngettext,
        current_locale=current_locale,
        language_tag=language_tag,
        text_direction=text_direction,
    )
