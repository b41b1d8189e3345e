"""The bell: its partial (polled where there is no SSE) and its live event stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import ClassVar

import anyio
from litestar import Controller, Request, get
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.di import NamedDependency, Provide
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template

from app.domain.alerts.live import Change, current_count, tenant_channel
from app.domain.alerts.unread import unread_count
from app.domain.identity.access import AccessScope
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import request_db
from app.lib import i18n

BELL = "components/_bell.html"
KEEP_ALIVE_SECONDS = 20.0
"""A comment this often keeps proxies from closing an idle stream."""
CHECK_SECONDS = 60.0
"""The session is checked (and the count recounted) at least this often, and on each event."""
COALESCE_SECONDS = 0.25
"""Changes arriving together (a job raising alerts for many patients) make one recount."""
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
    async def stream(
        self, request: Request, me: Me, channels: NamedDependency[ChannelsPlugin]
    ) -> ServerSentEvent:
        """`me`'s bell as Server-Sent Events: at once, then after every change to an alert of
        their care account, until they leave or their session ends.

        A client that does not ask for `text/event-stream` (EventSource always does) gets the
        current bell once, and the response ends.
        """
        # The request's own session (the guard checked the person with it) is finished now:
        # a stream may stay open for hours and must hold no connection or transaction.
        own = request_db(request)
        await own.commit()
        await own.close()
        live = "text/event-stream" in request.headers.get("accept", "")
        events = _bell_events(request, me, channels, i18n.current_locale(), live=live)
        return ServerSentEvent(events, headers={"Cache-Control": "no-store"})


def render_bell(request: Request, count: int, locale: str) -> ServerSentEventMessage:
    i18n.activate(locale)
    html = request.app.template_engine.get_template(BELL).render(unread=count)
    data = json.dumps({"count": count, "html": html}, ensure_ascii=False)
    return ServerSentEventMessage(event="bell", data=data, retry=RETRY_MS)


async def _bell_events(
    request: Request, me: AccessScope, channels: ChannelsPlugin, locale: str, *, live: bool
) -> AsyncIterator[ServerSentEventMessage]:
    session_maker = request.app.state.db_config.create_session_maker()
    slots: asyncio.Semaphore = request.app.state.bell_recounts

    async def recount() -> int | None:
        # Shielded: a client leaving mid-count must not leave a connection half-returned.
        with anyio.CancelScope(shield=True):
            async with slots:
                return await current_count(session_maker, me)

    if not live:
        count = await recount()
        if count is not None:
            yield render_bell(request, count, locale)
        return

    channel = tenant_channel(me.tenant_id)
    changed = asyncio.Event()
    # Subscribed before the first count, so no change slips in between.
    subscriber = await channels.subscribe(channel)
    watcher = asyncio.create_task(_watch(subscriber, me, changed))
    try:
        last: int | None = None
        while True:
            count = await recount()
            if count is None:
                yield ServerSentEventMessage(event="signed-out", data="")
                return
            if count != last:
                yield render_bell(request, count, locale)
                last = count
            checked = time.monotonic()
            while True:
                try:
                    await asyncio.wait_for(changed.wait(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    if time.monotonic() - checked >= CHECK_SECONDS:
                        break
                    yield ServerSentEventMessage(comment="keep-alive", data=None)
                    continue
                await asyncio.sleep(COALESCE_SECONDS)
                changed.clear()
                break
    finally:
        with anyio.CancelScope(shield=True):
            await channels.unsubscribe(subscriber, channel)  # ends the watcher's iteration
            with suppress(asyncio.CancelledError):
                await watcher


async def _watch(subscriber: Subscriber, me: AccessScope, changed: asyncio.Event) -> None:
    async for payload in subscriber.iter_events():
        if Change.parse(payload).concerns(me):
            changed.set()
