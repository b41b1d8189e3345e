"""Live alert changes: the channels every web process listens on, and the bell's figures.

Migration 0012's triggers `pg_notify` each committed alert change on its care account's
channel. Each web process holds one listening connection (Litestar Channels' asyncpg
backend), subscribed to the channels of the care accounts it has bells open for, so a
change made by any process (web, worker, CLI) reaches every person's open page.

The process's bells are counted by its hub (`hub.py`): one subscription and one recount
transaction per care account per change, however many pages are open.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

from app.config import plain_url
from app.domain.identity.access import AccessScope

log = logging.getLogger("tend.alerts.live")

CHANNEL_PREFIX = "tend_alerts_"
_RECONNECT_DELAYS = (0.5, 1, 2, 5, 10, 30)


def tenant_channel(tenant_id: uuid.UUID) -> str:
    """The care account's channel, as migration 0012's triggers name it."""
    return CHANNEL_PREFIX + tenant_id.hex


@dataclass(frozen=True)
class Change:
    """One announced change: which alert, and for read receipts whose count it changes."""

    alert_id: uuid.UUID | None
    user_id: uuid.UUID | None

    @classmethod
    def parse(cls, payload: bytes) -> Change:
        try:
            data: dict[str, Any] = json.loads(payload)
            alert = data.get("alert")
            user = data.get("user")
            return cls(uuid.UUID(alert) if alert else None, uuid.UUID(user) if user else None)
        except (ValueError, TypeError, AttributeError):
            return cls(None, None)  # unreadable: treat as "something changed"

    def concerns(self, me: AccessScope) -> bool:
        """Whether `me`'s count may have changed (another person's read receipt cannot)."""
        return self.user_id is None or self.user_id == me.user_id


class ListenerBackend(AsyncPgChannelsBackend):
    """The asyncpg backend, connecting when the first bell subscribes rather than at
    start-up (apps that never stream, such as most tests' and the CLI's, open nothing),
    and listening again after the connection drops (a database restart, a failover)."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        super().__init__(make_connection=connect)
        self._conn: asyncpg.Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._closing = False

    async def on_startup(self) -> None:
        self._listener_lock = asyncio.Lock()
        self._queue = asyncio.Queue()
        self._closing = False

    async def on_shutdown(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        async with self._listener_lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None
            self._subscribed_channels.clear()
            self._queue = None

    async def _listening(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await self._connect()
            self._conn.add_termination_listener(self._on_lost)
            self._listener_conn = self._conn
        return self._conn

    async def subscribe(self, channels: Any) -> None:
        async with self._listener_lock:
            conn = await self._listening()
            for channel in set(channels) - self._subscribed_channels:
                await conn.add_listener(channel, self._listener)  # type: ignore[arg-type]
                self._subscribed_channels.add(channel)

    async def unsubscribe(self, channels: Any) -> None:
        async with self._listener_lock:
            for channel in set(channels) & self._subscribed_channels:
                if self._conn is not None and not self._conn.is_closed():
                    await self._conn.remove_listener(channel, self._listener)  # type: ignore[arg-type]
                self._subscribed_channels.discard(channel)

    def _on_lost(self, connection: asyncpg.Connection) -> None:
        if self._closing or connection is not self._conn:
            return
        log.warning("The alerts listener lost its database connection; reconnecting.")
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        for delay in itertools.chain(_RECONNECT_DELAYS, itertools.repeat(_RECONNECT_DELAYS[-1])):
            await asyncio.sleep(delay)
            try:
                async with self._listener_lock:
                    self._conn = None
                    conn = await self._listening()
                    for channel in self._subscribed_channels:
                        await conn.add_listener(channel, self._listener)  # type: ignore[arg-type]
            except (OSError, asyncpg.PostgresError):
                continue
            log.info("The alerts listener is listening again.")
            return


def channels_plugin(database_url: str) -> ChannelsPlugin:
    """Channels for the bells: any care account's channel may be subscribed on the fly."""
    connect = partial(
        asyncpg.connect,
        dsn=plain_url(database_url),
        server_settings={"application_name": "tend-listen"},
    )
    return ChannelsPlugin(
        backend=ListenerBackend(connect),
        arbitrary_channels_allowed=True,
        # One subscriber per care account per process (the hub's), read at once. A read
        # receipt's event names whose count to redo, so events should not be dropped; the
        # bound only keeps a stuck reader from growing without end.
        subscriber_max_backlog=4096,
        subscriber_backlog_strategy="dropleft",
    )
