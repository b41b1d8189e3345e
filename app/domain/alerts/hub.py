"""The bell hub: one recount per care account per change, for every open bell of a process.

Each open `GET /alerts/stream` joins the process's hub with who is asking (care account,
person, session, role) and their language, and reads its bell events from a mailbox. The
hub subscribes once per care account with open bells to that account's channel
(`live.tenant_channel`); after a change and the short coalescing wait it runs ONE short
transaction for the care account, bound to it (`bind_tenant`, so row-level security
applies), with one statement (`BELLS`) that checks every open bell's session (revoked,
expired, idle, signed out everywhere, membership or role changed) and counts every
connected person's unread alerts. Each (count, language) is rendered once, and each bell
gets its event; a person's several pages share one count. A read receipt names its
person, so only that person's bells are recounted. A bell whose session is over gets
`signed-out` and ends.

No bell holds a database connection while it waits: a recount borrows one from the pool
for one transaction, and at most `RECOUNTS_AT_ONCE` of them (each bell's first count, and
the care accounts' recounts) run at once per process.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field

from litestar.channels import ChannelsPlugin, Subscriber
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_tenant
from app.domain.alerts.live import Change, tenant_channel
from app.domain.identity.access import AccessScope

log = logging.getLogger("tend.alerts.hub")

RECOUNTS_AT_ONCE = 4
COALESCE_SECONDS = 0.25
"""Changes arriving together (a job raising alerts for many patients) make one recount."""
CHECK_SECONDS = 60.0
"""Every open bell's session is checked (and its count recounted) at least this often."""

SIGNED_OUT = object()
"""What a bell gets when its session is over (or its person's role changed)."""


# One statement for every bell of one care account. `:session_ids`/`:user_ids` are the
# bells' sessions (in pairs). `live` is the guard's session check (`tend_open_session`)
# without sliding the idle timeout (an open page must not keep a session alive forever),
# with the role as it is now. The counts follow `unread.unread_statement(me)`: unresolved
# alerts of the patients a person may see (admins: every patient of the care account, so
# every unresolved alert, whose patient the foreign key keeps in the care account; carers
# and observers: patients they hold a live grant for, not archived) without their read
# receipt. One row per person, with their open sessions. Index-backed: the partial
# `ix_alerts_unresolved` for the unresolved alerts, `ix_patient_access_user` for the
# grants, the primary keys of sessions, memberships, users, patients and `alert_reads`.
BELLS = text(
    """
    WITH asked AS (
        SELECT DISTINCT b.session_id, b.user_id
          FROM unnest(CAST(:session_ids AS uuid[]), CAST(:user_ids AS uuid[]))
               AS b(session_id, user_id)
    ),
    live AS (
        SELECT s.id AS session_id, s.user_id, m.role::text AS role
          FROM asked b
          JOIN sessions s
            ON s.tenant_id = :tenant_id AND s.id = b.session_id AND s.user_id = b.user_id
          JOIN memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id
          JOIN users u ON u.id = s.user_id
          JOIN tenant_settings ts ON ts.tenant_id = s.tenant_id
         WHERE s.revoked_at IS NULL
           AND s.expires_at > now()
           AND s.last_seen_at > now() - make_interval(mins => ts.idle_timeout_minutes)
           AND s.created_at >= u.sessions_not_before
           AND m.status = 'active'
    ),
    people AS MATERIALIZED (
        SELECT user_id, role, array_agg(session_id) AS sessions
          FROM live
         GROUP BY user_id, role
    ),
    unresolved AS MATERIALIZED (
        SELECT a.id, a.patient_id
          FROM alerts a
         WHERE a.tenant_id = :tenant_id AND a.state <> 'resolved'
    ),
    sees AS (
        SELECT people.user_id, o.id AS alert_id
          FROM people CROSS JOIN unresolved o
         WHERE people.role = 'admin'
        UNION ALL
        SELECT people.user_id, o.id
          FROM people
          JOIN patient_access pa ON pa.tenant_id = :tenant_id AND pa.user_id = people.user_id
          JOIN unresolved o ON o.patient_id = pa.patient_id
          JOIN patients p ON p.tenant_id = :tenant_id AND p.id = pa.patient_id
         WHERE people.role <> 'admin'
           AND (pa.expires_at IS NULL OR pa.expires_at > now())
           AND p.archived_at IS NULL
    )
    SELECT people.sessions, people.role,
           count(sees.alert_id) FILTER (WHERE r.alert_id IS NULL) AS unread
      FROM people
      LEFT JOIN sees ON sees.user_id = people.user_id
      LEFT JOIN alert_reads r
        ON r.tenant_id = :tenant_id AND r.alert_id = sees.alert_id AND r.user_id = sees.user_id
     GROUP BY people.user_id, people.role, people.sessions
    """
)


async def count_bells(
    db: AsyncSession, tenant_id: uuid.UUID, scopes: Iterable[AccessScope]
) -> dict[uuid.UUID, tuple[str, int]]:
    """Each open session among `scopes` (one care account's), with its person's role and
    unread count, in one statement: a session missing from the answer is over."""
    pairs = {(me.session_id, me.user_id) for me in scopes}
    rows = await db.execute(
        BELLS,
        {
            "tenant_id": tenant_id,
            "session_ids": [session for session, _ in pairs],
            "user_ids": [user for _, user in pairs],
        },
    )
    return {session: (row.role, int(row.unread)) for row in rows for session in row.sessions}


@dataclass(eq=False)
class Bell:
    """One open stream: who, in which language, and its mailbox (the latest event wins:
    a bell that fell behind needs only the newest count)."""

    me: AccessScope
    locale: str
    _event: object = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _ticket: int = -1
    _count: int | None = None
    _closed: bool = False

    def post(self, ticket: int, count: int | None, render: Callable[[int, str], str]) -> None:
        """Hand the bell the result of recount `ticket` (None: its session is over). An
        older recount finishing after a newer one is ignored; an unchanged count sends
        nothing."""
        if self._closed or ticket <= self._ticket:
            return
        self._ticket = ticket
        if count is None:
            self._closed = True
            self._event = SIGNED_OUT
        elif count != self._count:
            self._count = count
            self._event = render(count, self.locale)
        else:
            return
        self._ready.set()

    async def next(self) -> object:
        """The bell's next event: the `bell` data (a JSON string) or `SIGNED_OUT`."""
        await self._ready.wait()
        self._ready.clear()
        event, self._event = self._event, None
        if self._closed:
            return SIGNED_OUT
        return event


@dataclass(eq=False)
class _Room:
    """One care account's open bells in this process, and its subscription."""

    tenant_id: uuid.UUID
    bells: set[Bell] = field(default_factory=set)
    subscriber: Subscriber | None = None
    watcher: asyncio.Task[None] | None = None
    runner: asyncio.Task[None] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    everyone: bool = False
    people: set[uuid.UUID] = field(default_factory=set)

    def note(self, change: Change) -> None:
        if change.user_id is None:
            self.everyone = True
        else:
            self.people.add(change.user_id)
        self.changed.set()

    def take(self) -> list[Bell]:
        """The bells the changes noted so far concern, and forget the changes."""
        everyone, people = self.everyone, self.people
        self.everyone, self.people = False, set()
        self.changed.clear()
        if everyone:
            return list(self.bells)
        return [bell for bell in self.bells if bell.me.user_id in people]


class BellHub:
    """The process's open bells, by care account (`app.state.bell_hub`)."""

    def __init__(
        self,
        *,
        channels: ChannelsPlugin,
        session_maker: Callable[[], AsyncSession],
        render: Callable[[int, str], str],
        recounts_at_once: int = RECOUNTS_AT_ONCE,
        coalesce_seconds: float = COALESCE_SECONDS,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self._channels = channels
        self._session_maker = session_maker
        self._render = render
        self._slots = asyncio.Semaphore(recounts_at_once)
        self._coalesce = coalesce_seconds
        self._check = check_seconds
        self._rooms: dict[uuid.UUID, _Room] = {}
        self._lock = asyncio.Lock()
        self._tickets = itertools.count()
        self.recounts = 0
        """Recount transactions run so far (each bell's first count included)."""

    def render(self, count: int, locale: str) -> str:
        return self._render(count, locale)

    async def count(self, me: AccessScope) -> int | None:
        """`me`'s unread count now, in one short transaction; None when `me`'s session is
        over or their role changed."""
        counted = await self._recount(me.tenant_id, [me])
        return _count_for(me, counted)

    async def join(self, me: AccessScope, locale: str) -> Bell:
        """Open a bell: subscribed to its care account's changes first, then counted, so
        no change slips in between. Its first event is waiting in its mailbox. The caller
        shields this from cancellation and `leave`s the bell when done."""
        bell = Bell(me, locale)
        async with self._lock:
            room = self._rooms.get(me.tenant_id)
            if room is None:
                room = _Room(me.tenant_id)
                room.subscriber = await self._channels.subscribe(tenant_channel(me.tenant_id))
                room.watcher = asyncio.create_task(_watch(room))
                room.runner = asyncio.create_task(self._run(room))
                self._rooms[me.tenant_id] = room
            room.bells.add(bell)
        try:
            ticket = next(self._tickets)
            counted = await self._recount(me.tenant_id, [me])
            bell.post(ticket, _count_for(me, counted), self._render)
        except BaseException:
            await self.leave(bell)  # the database is away: no bell, no subscription left
            raise
        return bell

    async def leave(self, bell: Bell) -> None:
        """Close a bell; the care account's subscription ends with its last bell."""
        async with self._lock:
            bell._closed = True
            tenant_id = bell.me.tenant_id
            room = self._rooms.get(tenant_id)
            if room is None or bell not in room.bells:
                return
            room.bells.discard(bell)
            if room.bells:
                return
            del self._rooms[tenant_id]
            await self._close(room)

    async def close(self) -> None:
        """At shutdown: every subscription ends."""
        async with self._lock:
            rooms, self._rooms = list(self._rooms.values()), {}
            for room in rooms:
                try:
                    await self._close(room)
                except Exception:  # the listener may be gone already
                    log.warning("Closing the bells of a care account failed.", exc_info=True)

    async def _close(self, room: _Room) -> None:
        if room.runner is not None:
            room.runner.cancel()
            with suppress(asyncio.CancelledError):
                await room.runner
        if room.subscriber is not None:
            # Ends the watcher's iteration.
            await self._channels.unsubscribe(room.subscriber, tenant_channel(room.tenant_id))
        if room.watcher is not None:
            with suppress(asyncio.CancelledError):
                await room.watcher

    async def _run(self, room: _Room) -> None:
        """Recount the bells a change concerns, after the coalescing wait; every bell at
        least every `check_seconds`."""
        while True:
            try:
                await asyncio.wait_for(room.changed.wait(), self._check)
            except TimeoutError:
                room.everyone = True
            else:
                await asyncio.sleep(self._coalesce)
            bells = room.take()
            if not bells:
                continue
            try:
                # Shielded: closing the room mid-count must not leave a connection
                # half-returned; the count finishes and its result is dropped.
                await asyncio.shield(self._deliver(room.tenant_id, bells))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Recounting the bells of a care account failed.")

    async def _deliver(self, tenant_id: uuid.UUID, bells: list[Bell]) -> None:
        ticket = next(self._tickets)
        counted = await self._recount(tenant_id, [bell.me for bell in bells])
        rendered: dict[tuple[int, str], str] = {}

        def render(count: int, locale: str) -> str:
            key = (count, locale)
            if key not in rendered:
                rendered[key] = self._render(count, locale)
            return rendered[key]

        for bell in bells:
            bell.post(ticket, _count_for(bell.me, counted), render)

    async def _recount(
        self, tenant_id: uuid.UUID, scopes: list[AccessScope]
    ) -> dict[uuid.UUID, tuple[str, int]]:
        async with self._slots:
            self.recounts += 1
            async with self._session_maker() as db:
                await bind_tenant(db, tenant_id)
                async with db.begin():
                    return await count_bells(db, tenant_id, scopes)


def _count_for(me: AccessScope, counted: dict[uuid.UUID, tuple[str, int]]) -> int | None:
    found = counted.get(me.session_id)
    if found is None or found[0] != str(me.role):
        return None
    return found[1]


async def _watch(room: _Room) -> None:
    assert room.subscriber is not None
    async for payload in room.subscriber.iter_events():
        room.note(Change.parse(payload))
