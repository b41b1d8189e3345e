"""Strict security headers on every kind of response, and templates the CSP can allow."""

from __future__ import annotations

import httpx
import pytest

from app.lib.static_files import static_url
from tests.conftest import csrf_headers
from tests.integration.web.html_elements import parse

# (method, path, extra request headers) for each kind of response the shell gives.
RESPONSE_KINDS = {
    "page": ("GET", "/", {}),
    "htmx partial": ("GET", "/", {"HX-Request": "true"}),
    "static file": ("GET", static_url("css/base.css"), {}),
    "not found page": ("GET", "/no-such-page", {}),
    "not found alert": ("GET", "/no-such-page", {"HX-Request": "true"}),
    "method not allowed": ("DELETE", "/", {}),
    "csrf refusal": ("POST", "/settings/language", {}),
    "health json": ("GET", "/healthz", {}),
}
DYNAMIC_KINDS = [kind for kind in RESPONSE_KINDS if kind != "static file"]

ONE_YEAR = 31_536_000


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        if directive.strip():
            name, *sources = directive.split()
            parsed[name.lower()] = sources
    return parsed


async def fetch(client: httpx.AsyncClient, kind: str) -> httpx.Response:
    method, path, headers = RESPONSE_KINDS[kind]
    response = await client.request(method, path, headers=headers)
    assert response.status_code in (200, 403, 404, 405), response.status_code
    return response


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
async def test_content_security_policy_allows_only_this_site(
    client: httpx.AsyncClient, kind: str
) -> None:
    policy = directives((await fetch(client, kind)).headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
async def test_content_security_policy_allows_no_inline_code_or_eval(
    client: httpx.AsyncClient, kind: str
) -> None:
    policy = (await fetch(client, kind)).headers["content-security-policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
async def test_browsers_are_told_to_use_https_for_a_year(
    client: httpx.AsyncClient, kind: str
) -> None:
    hsts = (await fetch(client, kind)).headers["strict-transport-security"]
    max_age = next(p.split("=")[1] for p in hsts.split(";") if p.strip().startswith("max-age"))
    assert int(max_age) >= ONE_YEAR


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
async def test_response_cannot_be_sniffed_framed_or_leak_the_referrer(
    client: httpx.AsyncClient, kind: str
) -> None:
    headers = (await fetch(client, kind)).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] in {"no-referrer", "same-origin", "strict-origin"}


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
async def test_powerful_browser_features_are_switched_off(
    client: httpx.AsyncClient, kind: str
) -> None:
    features = (await fetch(client, kind)).headers["permissions-policy"]
    allowed = dict(part.strip().split("=", 1) for part in features.split(","))
    for feature in ("camera", "microphone", "geolocation"):
        assert allowed[feature] == "()"


@pytest.mark.parametrize("kind", DYNAMIC_KINDS)
async def test_dynamic_responses_are_never_stored_by_a_cache(
    client: httpx.AsyncClient, kind: str
) -> None:
    # Pages may hold patient information; a shared or back-button cache must not keep it.
    assert (await fetch(client, kind)).headers["cache-control"] == "no-store"


# Pages reachable without an account: what the CSP is checked against until more exist.
RENDERED_PAGES = {
    "home": ("GET", "/", {}),
    "home partial": ("GET", "/", {"HX-Request": "true"}),
    "arabic home": ("GET", "/", {"Accept-Language": "ar"}),
    "language": ("GET", "/settings/language", {}),
    "not found page": ("GET", "/no-such-page", {}),
    "not found alert": ("GET", "/no-such-page", {"HX-Request": "true"}),
    "method not allowed page": ("DELETE", "/", {}),
}


def inline_code(html: str) -> list[str]:
    """What in `html` the CSP would block: inline script or style, and event handlers."""
    found = []
    for element in parse(html):
        if element.tag == "script" and not element.attrs.get("src"):
            found.append(f"inline <script>: {''.join(element.text)[:60]!r}")
        if element.tag == "style":
            found.append("inline <style> element")
        for name, value in element.attrs.items():
            if name == "style":
                found.append(f"style= on <{element.tag}>")
            if name.startswith("on"):
                found.append(f"{name}= on <{element.tag}>")
            if name.startswith("hx-on"):
                found.append(f"{name}= on <{element.tag}> (evaluated code)")
            if (value or "").strip().lower().startswith("javascript:"):
                found.append(f"javascript: URL in {name}= on <{element.tag}>")
    return found


@pytest.mark.parametrize("page", RENDERED_PAGES)
async def test_rendered_html_has_no_inline_script_style_or_handlers(
    client: httpx.AsyncClient, page: str
) -> None:
    method, path, headers = RENDERED_PAGES[page]
    response = await client.request(method, path, headers=headers)
    assert "text/html" in response.headers["content-type"]
    assert inline_code(response.text) == []


async def test_invalid_language_form_has_no_inline_script_style_or_handlers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/settings/language", data={"locale": "xx"}, headers=await csrf_headers(client)
    )
    assert response.status_code == 422
    assert inline_code(response.text) == []
