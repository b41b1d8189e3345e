"""Static files: hashed URLs cached for a year, gzip for text, and nothing outside app/static."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.lib.static_files import static_url
from app.paths import STATIC_DIR

HTMX_FILE = "vendor/htmx-2.0.11.min.js"
APP_SOURCE = (STATIC_DIR.parent / "asgi.py").read_text()


async def test_hashed_url_is_served_with_a_year_long_immutable_cache(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(static_url("css/base.css"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.content == (STATIC_DIR / "css/base.css").read_bytes()


async def test_static_file_has_an_etag(client: httpx.AsyncClient) -> None:
    response = await client.get(static_url("css/base.css"))
    assert response.headers["etag"].startswith('"')


@pytest.mark.parametrize(
    ("relative", "media_type"),
    [
        ("css/base.css", "text/css"),
        ("js/toasts.js", "text/javascript"),
        (HTMX_FILE, "text/javascript"),
        ("icons/tend.svg", "image/svg+xml"),
    ],
)
async def test_static_file_has_its_media_type(
    client: httpx.AsyncClient, relative: str, media_type: str
) -> None:
    response = await client.get(static_url(relative))
    assert response.headers["content-type"].split(";")[0] == media_type


async def test_large_text_file_is_gzipped_for_a_browser_that_accepts_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(static_url(HTMX_FILE), headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded < len(response.content) / 2
    assert "Accept-Encoding" in response.headers["vary"]


async def test_gzipped_file_decodes_to_the_exact_file_on_disk(client: httpx.AsyncClient) -> None:
    # Read the body undecoded, so a second layer of compression would show.
    async with client.stream(
        "GET", static_url(HTMX_FILE), headers={"Accept-Encoding": "gzip"}
    ) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert gzip.decompress(raw) == (STATIC_DIR / HTMX_FILE).read_bytes()


async def test_file_is_not_gzipped_for_a_client_that_does_not_accept_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(static_url(HTMX_FILE), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert response.content == (STATIC_DIR / HTMX_FILE).read_bytes()


async def test_matching_etag_answers_304_without_a_body(client: httpx.AsyncClient) -> None:
    url = static_url("css/base.css")
    etag = (await client.get(url)).headers["etag"]
    response = await client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""


async def test_stale_etag_gets_the_file(client: httpx.AsyncClient) -> None:
    response = await client.get(static_url("css/base.css"), headers={"If-None-Match": '"old"'})
    assert response.status_code == 200
    assert response.content == (STATIC_DIR / "css/base.css").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/static/css/base.css",  # the unhashed name: only hashed URLs may be cached forever
        "/static/css/base.000000000000.css",  # a hash of content that is not there
        "/static/css/no-such-file.css",
        "/static/",
    ],
)
async def test_unknown_static_path_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/static/%2e%2e/asgi.py",
        "/static/%2e%2e%2fasgi.py",
        "/static/..%2f..%2fapp%2fasgi.py",
        "/static/%2e%2e/%2e%2e/app/asgi.py",
    ],
)
async def test_encoded_path_traversal_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "create_app" not in response.text


async def raw_get(app: Litestar, path: str) -> tuple[int, bytes]:
    """A GET with `path` as given: httpx would remove the `..` before sending it."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver.local")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 443),
        "state": {},
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.mark.parametrize("path", ["/static/../app/asgi.py", "/static/../asgi.py"])
async def test_literal_path_traversal_is_404(
    app: Litestar, client: httpx.AsyncClient, path: str
) -> None:
    status, body = await raw_get(app, path)
    assert status == 404
    assert b"create_app" not in body


def test_traversal_tests_look_for_text_the_target_file_has() -> None:
    # Otherwise the traversal tests above would pass even if the file were served.
    assert "create_app" in APP_SOURCE


async def test_vendored_htmx_is_version_2_0_11(client: httpx.AsyncClient) -> None:
    response = await client.get(static_url(HTMX_FILE))
    assert 'version:"2.0.11"' in response.text
