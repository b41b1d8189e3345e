"""A client that behaves like a browser with Tend's pages: the CSRF token comes from the
page just loaded (as htmx reads it), never from knowing how Tend makes it."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import httpx

from tests.factories import PASSWORD

_PAGE_TOKEN = re.compile(r'"x-csrftoken": "([^"]*)"')


def page_token(response: httpx.Response) -> str:
    """The token a page gives htmx (its body's `hx-headers`)."""
    found = _PAGE_TOKEN.search(response.text)
    assert found and found.group(1), f"no CSRF token in the page ({response.status_code})"
    return found.group(1)


async def sign_in_by_form(client: httpx.AsyncClient, email: str) -> httpx.Response:
    """Open the sign-in page, then post it with the token that page carried."""
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "next": "/account"},
        headers={"x-csrftoken": page_token(page)},
    )


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    """Each cookie a response sets, by name, parsed with its attributes."""
    found: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        for name in parsed:
            found[name] = parsed
    return found


def raw_set_cookie(response: httpx.Response, name_ending: str) -> str:
    """The Set-Cookie header of the cookie whose name ends with `name_ending`."""
    for header in response.headers.get_list("set-cookie"):
        if header.split("=", 1)[0].endswith(name_ending):
            return header
    raise AssertionError(f"no Set-Cookie for *{name_ending}: {response.headers}")
