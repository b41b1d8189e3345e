"""CSRF: every unsafe request needs the token, from htmx's header or a plain form's field."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.conftest import CSRF_COOKIE, LOCALE_COOKIE, csrf_headers
from tests.integration.web.html_elements import find_all

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A value each path parameter type accepts, so the request reaches the route's middleware.
DUMMY_PATH_VALUES = {
    "str": "x",
    "path": "x",
    "int": "1",
    "float": "1.0",
    "decimal": "1.0",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "date": "2024-01-01",
    "datetime": "2024-01-01T00:00:00",
    "time": "00:00:00",
    "timedelta": "1",
}
LANGUAGE_FORM = {"locale": "ar", "next": "/"}


async def test_post_without_a_token_is_refused(client: httpx.AsyncClient) -> None:
    await client.get("/")  # the browser has the cookie; only the token is missing
    response = await client.post("/settings/language", data=LANGUAGE_FORM)
    assert response.status_code == 403


async def test_refused_post_does_not_change_the_language(client: httpx.AsyncClient) -> None:
    await client.get("/")
    response = await client.post("/settings/language", data=LANGUAGE_FORM)
    assert LOCALE_COOKIE not in response.cookies
    assert LOCALE_COOKIE not in client.cookies


async def test_post_without_the_csrf_cookie_is_refused(client: httpx.AsyncClient) -> None:
    token = (await csrf_headers(client))["x-csrftoken"]
    client.cookies.delete(CSRF_COOKIE)
    response = await client.post(
        "/settings/language", data=LANGUAGE_FORM, headers={"x-csrftoken": token}
    )
    assert response.status_code == 403


async def test_post_with_a_wrong_token_is_refused(client: httpx.AsyncClient) -> None:
    real = (await csrf_headers(client))["x-csrftoken"]
    forged = real[:-4] + ("0000" if not real.endswith("0000") else "1111")
    response = await client.post(
        "/settings/language", data=LANGUAGE_FORM, headers={"x-csrftoken": forged}
    )
    assert response.status_code == 403


async def test_post_with_the_token_header_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/settings/language", data=LANGUAGE_FORM, headers=await csrf_headers(client)
    )
    assert response.status_code == 303


async def test_plain_form_with_the_token_field_is_accepted(client: httpx.AsyncClient) -> None:
    # Without JavaScript the browser posts the form's hidden field and no header.
    page = await client.get("/settings/language")
    [field] = find_all(page.text, "input", name="_csrf_token")
    response = await client.post(
        "/settings/language", data={**LANGUAGE_FORM, "_csrf_token": field.attrs["value"]}
    )
    assert response.status_code == 303
    assert response.cookies[LOCALE_COOKIE] == "ar"


async def test_refusal_is_the_translated_error_page(client: httpx.AsyncClient) -> None:
    await client.get("/")
    response = await client.post(
        "/settings/language", data=LANGUAGE_FORM, headers={"Accept-Language": "ar"}
    )
    assert response.status_code == 403
    assert '<html lang="ar" dir="rtl">' in response.text


def unsafe_routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) for every unsafe method of every HTTP route the app serves."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(
            r"\{[^}:]+:([^}]+)\}", lambda m: DUMMY_PATH_VALUES[m.group(1).strip()], route.path
        )
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods & UNSAFE_METHODS):
                found.append((method, path))
    return found


async def test_the_route_table_has_unsafe_routes_to_check(app: Litestar) -> None:
    # Guards the test below from passing vacuously if route discovery breaks.
    assert ("POST", "/settings/language") in unsafe_routes(app)


async def test_every_unsafe_route_refuses_a_request_without_a_token(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    await client.get("/")
    accepted = []
    for method, path in unsafe_routes(app):
        response = await client.request(method, path, data={"locale": "ar"})
        if response.status_code != 403:
            accepted.append(f"{method} {path} → {response.status_code}")
    assert accepted == []
