"""The language picker, the cookie it sets, and how a request's language is chosen."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest

from app.lib.i18n import available_locales, language_name, translations
from tests.conftest import LOCALE_COOKIE, csrf_headers
from tests.integration.web.html_elements import find_all, parse

HALF_A_YEAR = 183 * 24 * 3600


def locale_choices(html: str) -> dict[str, bool]:
    """{locale code: checked} for the picker's radio buttons."""
    return {
        radio.attrs["value"] or "": "checked" in radio.attrs
        for radio in find_all(html, "input", type="radio", name="locale")
    }


async def choose(
    client: httpx.AsyncClient, locale: str, next_path: str = "/", **headers: str
) -> httpx.Response:
    return await client.post(
        "/settings/language",
        data={"locale": locale, "next": next_path},
        headers={**await csrf_headers(client), **headers},
    )


def html_tag(html: str) -> dict[str, str | None]:
    [element] = find_all(html, "html")
    return element.attrs


async def test_picker_lists_every_available_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/settings/language")
    assert response.status_code == 200
    assert set(locale_choices(response.text)) == set(available_locales())


async def test_each_language_is_listed_by_its_own_name(client: httpx.AsyncClient) -> None:
    page = parse((await client.get("/settings/language")).text)
    labels = {
        (radio.attrs["value"] or ""): "".join(label.text).strip()
        for label in find_all(page, "label")
        for radio in find_all(page, "input", name="locale")
        if radio.has_ancestor(label)
    }
    assert labels == {code: language_name(code) for code in available_locales()}
    assert labels["ar"] == "العربية"


async def test_picker_checks_the_current_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/settings/language", headers={"Accept-Language": "ar"})
    choices = locale_choices(response.text)
    assert [code for code, checked in choices.items() if checked] == ["ar"]


async def test_choosing_a_language_sets_a_long_lived_private_cookie(
    client: httpx.AsyncClient,
) -> None:
    response = await choose(client, "ar")
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(LOCALE_COOKIE)]
    morsel = SimpleCookie(header)[LOCALE_COOKIE]
    assert morsel.value == "ar"
    assert morsel["httponly"] is True
    assert morsel["secure"] is True
    assert morsel["samesite"].lower() == "lax"
    assert int(morsel["max-age"]) >= HALF_A_YEAR
    assert morsel["path"] == "/"


async def test_choosing_a_language_returns_to_the_page_the_user_was_on(
    client: httpx.AsyncClient,
) -> None:
    response = await choose(client, "ar", next_path="/settings/language?from=menu")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/language?from=menu"


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
    ],
)
async def test_choosing_a_language_never_redirects_off_site(
    client: httpx.AsyncClient, next_path: str
) -> None:
    response = await choose(client, "ar", next_path=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def stays_on_site(location: str) -> bool:
    # As a browser reads it: the URL parser drops tabs and newlines and treats \ as /.
    cleaned = "".join(c for c in location if c not in "\t\n\r").replace("\\", "/")
    return cleaned.startswith("/") and not cleaned.startswith("//")


@pytest.mark.parametrize(
    "next_path", ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", " //evil.example"]
)
async def test_control_characters_cannot_smuggle_an_off_site_redirect(
    client: httpx.AsyncClient, next_path: str
) -> None:
    response = await choose(client, "ar", next_path=next_path)
    assert stays_on_site(response.headers["location"])


async def test_picker_cancel_link_never_points_off_site(client: httpx.AsyncClient) -> None:
    response = await client.get("/settings/language", params={"next": "//evil.example"})
    assert "evil.example" not in response.text


async def test_unknown_language_is_refused_with_422(client: httpx.AsyncClient) -> None:
    response = await choose(client, "tlh")
    assert response.status_code == 422
    assert LOCALE_COOKIE not in response.cookies


async def test_unknown_language_error_is_beside_the_choices(client: httpx.AsyncClient) -> None:
    page = parse((await choose(client, "tlh")).text)
    [fieldset] = find_all(page, "fieldset", aria_invalid="true")
    [error] = find_all(page, "p", role="alert")
    assert error.has_ancestor(fieldset)
    assert fieldset.attrs["aria-describedby"] == error.attrs["id"]


async def test_unknown_language_error_is_translated(client: httpx.AsyncClient) -> None:
    response = await choose(client, "tlh", **{"Accept-Language": "ar"})
    message = translations("ar").gettext("Choose one of the languages listed.")
    assert message != "Choose one of the languages listed."
    [error] = find_all(response.text, "p", role="alert")
    assert "".join(error.text).strip() == message


async def test_unknown_language_form_keeps_where_to_go_back_to(
    client: httpx.AsyncClient,
) -> None:
    response = await choose(client, "tlh", next_path="/settings/language?from=menu")
    [field] = find_all(response.text, "input", name="next")
    assert field.attrs["value"] == "/settings/language?from=menu"


async def test_unknown_language_form_does_not_keep_an_off_site_next(
    client: httpx.AsyncClient,
) -> None:
    response = await choose(client, "tlh", next_path="//evil.example")
    assert "evil.example" not in response.text


async def test_after_choosing_arabic_pages_are_right_to_left(client: httpx.AsyncClient) -> None:
    await choose(client, "ar")
    response = await client.get("/")
    assert html_tag(response.text) == {"lang": "ar", "dir": "rtl"}


async def test_chosen_language_wins_over_the_browser_preference(
    client: httpx.AsyncClient,
) -> None:
    await choose(client, "en")
    response = await client.get("/", headers={"Accept-Language": "ar"})
    assert html_tag(response.text) == {"lang": "en", "dir": "ltr"}


async def test_arabic_browser_without_a_choice_gets_arabic(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"})
    assert html_tag(response.text) == {"lang": "ar", "dir": "rtl"}


async def test_no_preference_at_all_gets_english(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert html_tag(response.text) == {"lang": "en", "dir": "ltr"}


async def test_cookie_for_a_language_that_does_not_exist_is_ignored(
    client: httpx.AsyncClient,
) -> None:
    client.cookies.set(LOCALE_COOKIE, "tlh", domain="testserver.local")
    response = await client.get("/", headers={"Accept-Language": "ar"})
    assert response.status_code == 200
    assert html_tag(response.text) == {"lang": "ar", "dir": "rtl"}


async def test_cookie_for_a_language_that_does_not_exist_falls_back_to_english(
    client: httpx.AsyncClient,
) -> None:
    client.cookies.set(LOCALE_COOKIE, "../../etc/passwd", domain="testserver.local")
    response = await client.get("/")
    assert response.status_code == 200
    assert html_tag(response.text) == {"lang": "en", "dir": "ltr"}
