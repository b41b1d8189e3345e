"""Static files under content-hashed URLs, served from memory with a year-long cache.

At start every file under app/static is read once; `static_url("css/base.css")` gives
`/static/css/base.3f9c2a1b7e04.css`. A changed file gets a new URL, so browsers may keep
each URL forever (`immutable`), and nothing stale is ever served.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Response

from app.paths import STATIC_DIR

PREFIX = "/static/"
YEAR = 31_536_000
_COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "application/manifest+json",
)

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


def _hashed_name(relative: str, digest: str) -> str:
    path = PurePosixPath(relative)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def _load(root: Path) -> tuple[dict[str, str], dict[str, Asset]]:
    urls: dict[str, str] = {}
    assets: dict[str, Asset] = {}
    for file in sorted(root.rglob("*")):
        if not file.is_file() or file.name.startswith("."):
            continue
        relative = file.relative_to(root).as_posix()
        body = file.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:12]
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        compressible = media_type.startswith(_COMPRESSIBLE) and len(body) > 512
        hashed = _hashed_name(relative, digest)
        urls[relative] = PREFIX + hashed
        assets[hashed] = Asset(
            body=body,
            gzipped=gzip.compress(body, 9, mtime=0) if compressible else None,
            media_type=media_type,
            etag=f'"{digest}"',
        )
    return urls, assets


_URLS, _ASSETS = _load(STATIC_DIR)


def static_url(relative: str) -> str:
    """The hashed URL of a file under app/static (KeyError for a missing file: a bug)."""
    return _URLS[relative]


def all_static_urls() -> list[str]:
    """Every hashed static URL (the service worker precaches them): a changed file is a
    new URL, so this list changing is what makes a new worker."""
    return sorted(_URLS.values())


@get(
    f"{PREFIX}{{path:path}}",
    include_in_schema=False,
    sync_to_thread=False,
    opt={"public": True, "sessionless": True},
)
def serve_static(request: Request, path: FromPath[str]) -> Response[bytes]:
    asset = _ASSETS.get(path.lstrip("/"))
    if asset is None:
        raise NotFoundException
    headers = {
        "Cache-Control": f"public, max-age={YEAR}, immutable",
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(b"", status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped and "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)
