"""The bell: its partial (polled where there is no SSE) and its live event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from functools import partial
from typing import ClassVar

import anyio
from litestar import Controller, Litestar, Request, get
from litestar.channels import ChannelsPlugin
from litestar.di import Provide
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template
from litestar.template import TemplateEngineProtocol

from app.domain.alerts.hub import SIGNED_OUT, BellHub
from app.domain.alerts.unread import unread_count
from app.domain.identity.access import AccessScope
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import request_db
from app.lib import i18n
from app.lib.unit_of_work import commit

BELL = "components/_bell.html"
KEEP_ALIVE_SECONDS = 20.0
"""A comment this often keeps proxies from closing an idle stream."""
RETRY_MS = 5000


class BellController(Controller):
    """The bell's count for the signed-in person (observers too: both are reads)."""

    path = "/alerts"
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    @get("/bell", name="alerts:bell")
    async def bell(self, request: Request, me: Me) -> Template:
        """The bell partial with `me`'s unread count (htmx or bell.js poll it without SSE)."""
        count = await unread_count(request_db(request), me)
        return Template(BELL, context={"unread": count})

    @get("/stream", name="alerts:stream")
    async def stream(self, request: Request, me: Me) -> ServerSentEvent:
        """`me`'s bell as Server-Sent Events: at once, then after every change to an alert of
        their care account, until they leave or their session ends.

        A client that does not ask for `text/event-stream` (EventSource always does) gets the
        current bell once, and the response ends.
        """
        # The request's own session (the guard checked the person with it) is finished now:
        # a stream may stay open for hours and must hold no connection or transaction.
        own = request_db(request)
        await commit(own)
        await own.close()
        live = "text/event-stream" in request.headers.get("accept", "")
        events = _bell_events(request, me, i18n.current_locale(), live=live)
        return ServerSentEvent(events, headers={"Cache-Control": "no-store"})


def bell_data(engine: TemplateEngineProtocol, count: int, locale: str) -> str:
    """A `bell` event's data: the count, and the bell rendered in `locale`."""
    i18n.activate(locale)
    html = engine.get_template(BELL).render(unread=count)
    return json.dumps({"count": count, "html": html}, ensure_ascii=False)


def start_bell_hub(app: Litestar) -> None:
    """On start-up: the process's bell hub (`app.state.bell_hub`)."""
    app.state.bell_hub = BellHub(
        channels=app.plugins.get(ChannelsPlugin),
        session_maker=app.state.db_config.create_session_maker(),
        render=partial(bell_data, app.template_engine),
    )


async def stop_bell_hub(app: Litestar) -> None:
    hub: BellHub | None = app.state.get("bell_hub")
    if hub is not None:
        await hub.close()


def _message(data: str) -> ServerSentEventMessage:
    return ServerSentEventMessage(event="bell", data=data, retry=RETRY_MS)


async def _bell_events(
    request: Request, me: AccessScope, locale: str, *, live: bool
) -> AsyncIterator[ServerSentEventMessage]:
    hub: BellHub = request.app.state.bell_hub

    if not live:
        # Shielded: a client leaving mid-count must not leave a connection half-returned.
        with anyio.CancelScope(shield=True):
            count = await hub.count(me)
        if count is not None:
            yield _message(hub.render(count, locale))
        return

    # Subscribed before the first count, so no change slips in between.
    with anyio.CancelScope(shield=True):
        bell = await hub.join(me, locale)
    try:
        while True:
            try:
                event = await asyncio.wait_for(bell.next(), KEEP_ALIVE_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
                continue
            if event is SIGNED_OUT:
                yield ServerSentEventMessage(event="signed-out", data="")
                return
            yield _message(str(event))
    finally:
        with anyio.CancelScope(shield=True):
            await hub.leave(bell)
