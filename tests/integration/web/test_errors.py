"""Error pages: a full page for a page load, a toast for htmx, nothing internal ever shown."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from litestar import Litestar, get

from app.lib.i18n import translations
from tests.integration.web.html_elements import find_all

HTMX = {"HX-Request": "true"}
# Stands in for whatever an exception might carry: SQL, a patient's name, a key.
EXCEPTION_TEXT = "relation patient_secret_7f3a does not exist"


async def test_unknown_page_is_a_full_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text
    [title] = find_all(response.text, "h1", id="error-title")
    assert "".join(title.text).strip() == "Page not found"


async def test_unknown_page_for_htmx_is_only_an_alert(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page", headers=HTMX)
    assert response.status_code == 404
    assert "<html" not in response.text
    assert "<main" not in response.text
    [alert] = find_all(response.text, "div", role="alert")
    assert "Page not found" in "".join(alert.text)


async def test_htmx_error_goes_to_the_toast_region_not_the_target(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/no-such-page", headers=HTMX)
    assert response.headers["hx-retarget"] == "#toasts"
    assert response.headers["hx-reswap"] == "beforeend"


async def test_error_page_and_alert_vary_on_hx_request(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page")
    assert "HX-Request" in response.headers["vary"]


async def test_boosted_navigation_to_an_unknown_page_gets_the_full_page(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/no-such-page", headers={**HTMX, "HX-Boosted": "true"})
    assert response.status_code == 404
    assert "<html" in response.text
    assert "hx-retarget" not in response.headers


async def test_wrong_method_renders_the_error_page(client: httpx.AsyncClient) -> None:
    response = await client.delete("/")
    assert response.status_code == 405
    assert "<html" in response.text
    [title] = find_all(response.text, "h1", id="error-title")
    assert "".join(title.text).strip() == "Not allowed here"


async def test_error_page_is_in_arabic_for_an_arabic_browser(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    assert '<html lang="ar" dir="rtl">' in response.text
    arabic_title = translations("ar").gettext("Page not found")
    assert arabic_title != "Page not found"
    [title] = find_all(response.text, "h1", id="error-title")
    assert "".join(title.text).strip() == arabic_title


async def test_htmx_alert_is_in_arabic_for_an_arabic_browser(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page", headers={**HTMX, "Accept-Language": "ar"})
    assert translations("ar").gettext("Page not found") in response.text


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[list[logging.LogRecord]]:
    # A handler of our own rather than caplog: the suite also runs with `-p no:logging`.
    handler = _Records()
    logger = logging.getLogger("tend.errors")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def failing_route(app: Litestar) -> str:
    """A route on this test's app that fails the way a bug would."""

    @get("/test-only/fails", sync_to_thread=False, opt={"public": True})
    def fails() -> str:
        raise RuntimeError(EXCEPTION_TEXT)

    app.register(fails)
    return "/test-only/fails"


async def test_unexpected_error_is_a_500_page(
    failing_route: str, client: httpx.AsyncClient
) -> None:
    response = await client.get(failing_route)
    assert response.status_code == 500
    assert "<html" in response.text
    [title] = find_all(response.text, "h1", id="error-title")
    assert "".join(title.text).strip() == "Something went wrong on our side"


async def test_500_page_shows_neither_the_exception_nor_a_traceback(
    failing_route: str, client: httpx.AsyncClient
) -> None:
    response = await client.get(failing_route)
    assert EXCEPTION_TEXT not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    assert "asgi.py" not in response.text


async def test_500_for_htmx_is_an_alert_without_the_exception(
    failing_route: str, client: httpx.AsyncClient
) -> None:
    response = await client.get(failing_route, headers=HTMX)
    assert response.status_code == 500
    assert "<html" not in response.text
    assert response.headers["hx-retarget"] == "#toasts"
    assert EXCEPTION_TEXT not in response.text


async def test_500_page_carries_the_security_headers(
    failing_route: str, client: httpx.AsyncClient
) -> None:
    headers = (await client.get(failing_route)).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


async def test_unexpected_error_is_logged_with_its_traceback(
    failing_route: str, client: httpx.AsyncClient, error_log: list[logging.LogRecord]
) -> None:
    await client.get(failing_route)
    [record] = [r for r in error_log if r.levelno >= logging.ERROR]
    assert failing_route in record.getMessage()
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == EXCEPTION_TEXT


async def test_expected_errors_are_not_logged_as_failures(
    client: httpx.AsyncClient, error_log: list[logging.LogRecord]
) -> None:
    await client.get("/no-such-page")
    assert [r for r in error_log if r.levelno >= logging.ERROR] == []
