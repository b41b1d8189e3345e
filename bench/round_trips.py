"""Database round trips per request of the patient list, counted on the wire.

`python -m bench --round-trips` runs this module in a process of its own, with Tend's
environment (its keys, DATABASE_URL as the app role), and hands it a seeded tenant on
stdin. It builds Tend (`app.asgi.create_app`) and the baseline in-process, starts their
lifespans, and makes requests through httpx's ASGI transport while every asyncpg
connection's outgoing protocol messages are read as they are written.

A round trip is each time the client must wait for the server: a simple-protocol Query
('Q': BEGIN, COMMIT), a Sync ('S', ending Bind/Execute of a prepared statement), or a
Flush ('H', ending asyncpg's Parse/Describe when it prepares a statement). Counting
messages rather than ORM events also catches what no ORM event reports: the prepares,
a pool's reset or ping, type introspection. The first request of a fresh process prepares
its statements and reads the tenant's keys; the figure that matters is a later request's,
once those caches are warm.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from litestar import Litestar

WARM_REQUESTS = 3
"""Requests before the one measured: caches warm, statements prepared."""


@dataclass(frozen=True)
class Trip:
    kind: str
    """query (simple protocol), prepare, execute, close or sync."""
    sql: str

    def label(self, width: int = 110) -> str:
        text = " ".join(self.sql.split()).rstrip(";")
        text = text if len(text) <= width else text[: width - 1] + "…"
        return text if self.kind in ("query", "execute") else f"{self.kind}: {text}"


@dataclass
class _Stream:
    """One connection's outgoing messages, reassembled from whatever chunks the writes
    carry."""

    recorder: WireRecorder
    buffer: bytearray = field(default_factory=bytearray)
    statements: dict[str, str] = field(default_factory=dict)
    pending: list[tuple[str, str]] = field(default_factory=list)

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 5:
            length = int.from_bytes(self.buffer[1:5], "big")
            if len(self.buffer) < 1 + length:
                return
            kind, payload = bytes(self.buffer[:1]), bytes(self.buffer[5 : 1 + length])
            del self.buffer[: 1 + length]
            self._message(kind, payload)

    def _message(self, kind: bytes, payload: bytes) -> None:
        parts = payload.split(b"\0")
        if kind == b"Q":
            self.recorder.trip(Trip("query", parts[0].decode()))
        elif kind == b"P":  # Parse: statement name, query text
            name, query = parts[0].decode(), parts[1].decode()
            self.statements[name] = query
            self.pending.append(("prepare", query))
        elif kind == b"B":  # Bind: portal, statement name
            self.pending.append(("execute", self.statements.get(parts[1].decode(), "?")))
        elif kind == b"C":  # Close: 'S' or 'P', then the name
            self.pending.append(("close", payload[1:].split(b"\0")[0].decode()))
        elif kind in (b"S", b"H"):  # Sync or Flush: the client now waits for the answer
            self.recorder.trip(self._summary())
            self.pending.clear()

    def _summary(self) -> Trip:
        for wanted in ("execute", "prepare", "close"):
            for kind, sql in self.pending:
                if kind == wanted:
                    return Trip(kind, sql)
        return Trip("sync", "")


class WireRecorder:
    """Reads what every asyncpg connection made from now on writes to its socket."""

    def __init__(self) -> None:
        self.recording = False
        self.trips: list[Trip] = []

    def install(self) -> None:
        original = asyncpg.connection.Connection.__init__
        recorder = self

        def init(conn: Any, protocol: Any, transport: Any, *args: Any, **kwargs: Any) -> None:
            original(conn, protocol, transport, *args, **kwargs)
            recorder.watch(transport)

        asyncpg.connection.Connection.__init__ = init  # type: ignore[method-assign]

    def watch(self, transport: Any) -> None:
        stream = _Stream(self)
        write: Callable[[Any], None] = transport.write
        writelines: Callable[[Iterable[Any]], None] = transport.writelines

        def write_and_read(data: Any) -> None:
            stream.feed(bytes(data))
            write(data)

        def writelines_and_read(chunks: Iterable[Any]) -> None:
            chunks = list(chunks)
            for chunk in chunks:
                stream.feed(bytes(chunk))
            writelines(chunks)

        # asyncpg's protocol looks these up on the transport object at every write.
        transport.write = write_and_read
        transport.writelines = writelines_and_read

    def trip(self, trip: Trip) -> None:
        if self.recording:
            self.trips.append(trip)

    @contextlib.contextmanager
    def record(self) -> Any:
        self.trips = []
        self.recording = True
        try:
            yield self
        finally:
            self.recording = False


@contextlib.asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """The app's startup and shutdown around a block; the lifespan in a task of its own,
    which enters and leaves its task group in one task."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task


ROW = re.compile(r'<li class="list__row">')


async def _measure(
    app: Litestar,
    recorder: WireRecorder,
    path: str,
    cookies: dict[str, str],
    headers: dict[str, str],
) -> dict[str, Any]:
    """The trips of the first request, and of one after WARM_REQUESTS more."""
    results: dict[str, Any] = {}
    async with running(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        # https: Tend's cookies are Secure and `__Host-…` (app/lib/cookies.py); the client's
        # jar returns the CSRF cookie.
        async with httpx.AsyncClient(
            transport=transport, base_url="https://testserver.local", headers=headers
        ) as client:
            for name, value in cookies.items():
                client.cookies.set(name, value, domain="testserver.local")
            for number in range(WARM_REQUESTS + 1):
                with recorder.record():
                    response = await client.get(path)
                rows = len(ROW.findall(response.text))
                if response.status_code != 200 or rows != 50:
                    msg = f"{path} answered {response.status_code} with {rows} rows"
                    raise RuntimeError(msg)
                if number == 0:
                    results["first"] = [asdict(t) for t in recorder.trips]
                results["steady"] = [asdict(t) for t in recorder.trips]
    return results


async def count(spec: dict[str, Any]) -> dict[str, Any]:
    from app.asgi import create_app
    from app.config import DatabaseSettings, Settings
    from app.lib.cookies import HOST_PREFIX
    from bench import baseline_app

    recorder = WireRecorder()
    recorder.install()
    with tempfile.TemporaryDirectory(prefix="tend-bench-rt-") as data_dir:
        settings = Settings(database=DatabaseSettings(url=spec["app_url"]), data_dir=Path(data_dir))
        # The scenario's cookies are named for the load's plain http; here it is https.
        tend_cookies = {HOST_PREFIX + k: v for k, v in spec["tend_cookies"].items()}
        tend = await _measure(create_app(settings), recorder, spec["path"], tend_cookies, {})
    baseline = await _measure(
        baseline_app.create_app(), recorder, spec["path"], {}, spec["baseline_headers"]
    )
    return {"Tend": tend, "baseline": baseline}


def main() -> int:
    spec = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(count(spec))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
