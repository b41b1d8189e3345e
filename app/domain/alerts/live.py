"""Live alert changes: the channels every web process listens on, and the bell's figures.

Migration 0012's triggers `pg_notify` each committed alert change on its care account's
channel. Each web process holds one listening connection (Litestar Channels' asyncpg
backend), subscribed to the channels of the care accounts it has bells open for, so a
change made by any process (web, worker, CLI) reaches every person's open page.

A bell's stream holds no database connection between events: each recount borrows one
from the pool for one short transaction, and at most `RECOUNTS_AT_ONCE` of them run at
once per process, so hundreds of open pages cannot crowd out page requests.
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
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import plain_url
from app.db.tenancy import bind_tenant
from app.domain.alerts.unread import unread_count
from app.domain.identity.access import AccessScope

log = logging.getLogger("tend.alerts.live")

CHANNEL_PREFIX = "tend_alerts_"
RECOUNTS_AT_ONCE = 4
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
        # Any one event means "count again": when a slow stream falls behind, older
        # events can go.
        subscriber_max_backlog=16,
        subscriber_backlog_strategy="dropleft",
    )


# The session, checked as the guard checks it but without sliding its idle timeout (an
# open page must not keep a session alive forever); and the role, which may have changed.
_SESSION_ROLE = text(
    """
    SELECT m.role::text
      FROM sessions s
      JOIN memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id
      JOIN users u ON u.id = s.user_id
      JOIN tenant_settings ts ON ts.tenant_id = s.tenant_id
     WHERE s.tenant_id = :tenant_id AND s.id = :session_id AND s.user_id = :user_id
       AND s.revoked_at IS NULL
       AND s.expires_at > now()
       AND s.last_seen_at > now() - make_interval(mins => ts.idle_timeout_minutes)
       AND s.created_at >= u.sessions_not_before
       AND m.status = 'active'
    """
)


async def current_count(session_maker: Callable[[], AsyncSession], me: AccessScope) -> int | None:
    """`me`'s unread count in one short transaction of its own; None when `me`'s session
    is over or their role changed (the stream then ends, and the page signs in again)."""
    async with session_maker() as db:
        await bind_tenant(db, me.tenant_id, me.user_id)
        async with db.begin():
            role = await db.scalar(
                _SESSION_ROLE,
                {"tenant_id": me.tenant_id, "session_id": me.session_id, "user_id": me.user_id},
            )
            if role != str(me.role):
                return None
            return await unread_count(db, me)
