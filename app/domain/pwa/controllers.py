"""`/manifest.webmanifest`, `/sw.js` and `/offline`: public, and never about anyone.

None of them looks up a session: what they say is the same for everyone, in the
request's language, so they hold no patient information and may be cached by the
service worker (the offline page) or the browser (the manifest, revalidated).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any, ClassVar

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Response, Template

from app.lib import i18n
from app.lib.i18n import _
from app.lib.static_files import all_static_urls, static_url
from app.paths import SERVICE_WORKER_DIR

OFFLINE_URL = "/offline"
THEME_COLOR = "#1b6b58"  # tokens.css --color-primary
BACKGROUND_COLOR = "#f6f7f5"  # tokens.css --color-bg
PRECACHE_PLACEHOLDER = "self.__TEND_PRECACHE__"
VERSION_PLACEHOLDER = "self.__TEND_VERSION__"


def manifest(locale: str) -> dict[str, Any]:
    """The web app manifest in `locale` (the caller has activated it)."""
    icon = static_url
    return {
        # A fixed id: the installed app stays the same app whatever its language.
        "id": "/today",
        "name": _("Tend — care notes and medicines"),
        "short_name": _("Tend"),
        "description": _(
            "Record and follow the daily care of the people you look after: notes, "
            "medicines, vitals and tasks."
        ),
        "lang": i18n.language_tag(locale),
        "dir": i18n.text_direction(locale),
        "start_url": "/today",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["medical", "health", "productivity"],
        "icons": [
            {"src": icon("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": icon("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": icon("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


@cache
def service_worker_script() -> tuple[str, str]:
    """sw.js with the current static URLs and a version filled in; (script, version).

    The version hashes the worker's own source and the URL list, so a deploy that changes
    any static file, or the worker, is a new worker that the browser installs.
    """
    source = (SERVICE_WORKER_DIR / "sw.js").read_text(encoding="utf-8")
    precache = [*all_static_urls(), OFFLINE_URL]
    digest = hashlib.sha256((source + "\n".join(precache)).encode()).hexdigest()[:16]
    script = source.replace(PRECACHE_PLACEHOLDER, json.dumps(precache)).replace(
        VERSION_PLACEHOLDER, json.dumps(digest)
    )
    return script, digest


class PwaController(Controller):
    include_in_schema = False
    opt: ClassVar[dict[str, Any]] = {"public": True, "sessionless": True}

    @get("/manifest.webmanifest", sync_to_thread=False)
    def web_manifest(self, request: Request, lang: FromQuery[str] = "") -> Response[bytes]:
        """The manifest in the language asked for (`?lang=`: a browser fetches manifests
        without cookies, so the page names the user's choice), else the request's."""
        locale = lang if lang in i18n.available_locales() else i18n.activate_for(request)
        i18n.activate(locale)
        body = json.dumps(manifest(locale), ensure_ascii=False).encode()
        return Response(
            body,
            media_type="application/manifest+json",
            headers={
                "Cache-Control": "no-cache",
                "Vary": "Accept-Language, Cookie",
                "Content-Language": i18n.language_tag(locale),
            },
        )

    @get("/sw.js", sync_to_thread=False)
    def service_worker(self) -> Response[str]:
        """The service worker, for scope `/`; always revalidated, so updates are seen."""
        script, version = service_worker_script()
        return Response(
            script,
            media_type="text/javascript",
            headers={
                "Service-Worker-Allowed": "/",
                "Cache-Control": "no-cache",
                "ETag": f'"{version}"',
            },
        )

    @get(OFFLINE_URL, sync_to_thread=False)
    def offline(self, request: Request) -> Template:
        """What the app shows for a page it cannot reach: no one's information, only what
        still works without a connection."""
        return Template(
            "pwa/offline.html",
            context={},
            headers={
                "Cache-Control": "no-cache",
                "Content-Language": i18n.language_tag(i18n.current_locale()),
            },
        )
