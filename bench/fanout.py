"""The live bell's fan-out: from the commit that raises an alert to the bell update at
hundreds of open pages (Server-Sent Events) spread over several Tend processes.

    python -m bench.fanout [--clients 500] [--alerts 10] [--processes 2] [--write]

One care account, one patient, and carers and observers holding a live grant to that
patient, each signed in several times (a session row and its signed `tend_session`
cookie per open page). Tend runs as `--processes` uvicorn processes of one worker each,
on ports of their own; the clients (raw asyncio streams in this process, HTTP/1.1 with
chunked bodies parsed by hand: httpx per stream costs more CPU than the app on 2 cores)
open `GET /alerts/stream` with `Accept: text/event-stream`, split evenly over the
processes, and wait for their first `bell` event. Then, `--alerts` times: an alert is
raised for the patient by this process (`raise_alert`, `raised_by=None`, in a
transaction bound to the care account, as Tend's worker raises them), the time is taken
just after its COMMIT returns, and each client's first `bell` event with the higher
count is timed on arrival; latency = arrival - commit. The next alert waits until every
client has it (or `--timeout` seconds pass: the rest are misses), then `--pause`.

Needs a PostgreSQL it may create a database and roles in (`--database-url`, else
BENCH_DATABASE_URL, TEST_DATABASE_URL, postgres@127.0.0.1:5432, or an embedded one); the
database is dropped afterwards. Target (the issue): p95 under 1 s at 500 clients on 2
processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.config import async_url, plain_url
from app.db.tenancy import bind_tenant
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from bench import harness, report
from bench.__main__ import tend_env
from bench.scenarios import BenchDatabase
from bench.seed import (
    _INSERT_PATIENTS,
    KEY_VERSION,
    BenchKeys,
    _connect,
    _new_member,
    _new_tenant,
    _patient_rows,
    _session,
    new_bench_keys,
    real_hasher,
)

OUT = Path(__file__).resolve().parent / "out"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TARGET_P95_MS = 1000.0
CONNECT_AT_ONCE = 50
"""Streams opening at once (until their first bell): a page load burst, not a stampede."""
READY_TIMEOUT = 180.0
SAMPLE_EVERY = 0.1
PROBE_EVERY = 0.005
STREAM_PATH = "/alerts/stream"


# Seed ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    tenant_id: uuid.UUID
    patient_id: uuid.UUID
    tokens: tuple[str, ...]
    """One `tend_session` cookie per client, a person's sessions next to each other."""
    carers: int
    observers: int
    per_person: int


async def seed_audience(owner_url: str, keys: BenchKeys, clients: int, per_person: int) -> Audience:
    """A care account with an admin, one patient, and ceil(clients / per_person) people
    (every fifth an observer, the rest carers; MFA on and given) each with a grant to the
    patient and `per_person` live sessions."""
    people = math.ceil(clients / per_person)
    password_hash = real_hasher().hash(secrets.token_urlsafe(16))
    conn = await _connect(owner_url)
    tokens: list[str] = []
    carers = observers = 0
    try:
        async with conn.transaction():
            tenant_id, data_key = await _new_tenant(conn, keys, "Bench fan-out")
            suffix = tenant_id.hex[-12:]
            admin = await _new_member(
                conn, keys, tenant_id, email=f"admin-{suffix}@bench.example",
                name="Bench Admin", role="admin", password_hash=password_hash, mfa=True,
            )  # fmt: skip
            (row,) = _patient_rows(tenant_id, data_key, 1, random.Random(suffix))
            await conn.execute(_INSERT_PATIENTS, tenant_id, KEY_VERSION, admin, *([v] for v in row))
            patient_id = row[0]
            for number in range(people):
                role = "observer" if number % 5 == 4 else "carer"
                if role == "observer":
                    observers += 1
                else:
                    carers += 1
                user_id = await _new_member(
                    conn, keys, tenant_id, email=f"{role}{number}-{suffix}@bench.example",
                    name=f"{role.title()} {number}", role=role, password_hash=password_hash,
                    mfa=True,
                )  # fmt: skip
                await conn.execute(
                    "INSERT INTO patient_access (tenant_id, patient_id, user_id, granted_by) "
                    "VALUES ($1, $2, $3, $4)",
                    tenant_id,
                    patient_id,
                    user_id,
                    admin,
                )
                for _ in range(per_person):
                    tokens.append(await _session(conn, keys, tenant_id, user_id))
    finally:
        await conn.close()
    return Audience(tenant_id, patient_id, tuple(tokens[:clients]), carers, observers, per_person)


# Clients ---------------------------------------------------------------------------------


class Tracker:
    """How many clients have seen the count the current alert should bring."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.target: int | None = None
        self.reached = 0
        self.done = asyncio.Event()

    def expect(self, count: int) -> None:
        self.target = count
        self.reached = 0
        self.done.clear()

    def seen(self) -> None:
        self.reached += 1
        if self.reached >= self.clients:
            self.done.set()


@dataclass
class Client:
    index: int
    process: int
    port: int
    token: str
    events: list[tuple[float, int]] = field(default_factory=list)
    """(perf_counter at arrival, count) of every `bell` event."""
    count: int | None = None
    reported: int | None = None
    keep_alives: int = 0
    error: str | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def request(self) -> bytes:
        return (
            f"GET {STREAM_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
            f"Cookie: tend_session={self.token}\r\nUser-Agent: tend-bench-fanout\r\n\r\n"
        ).encode()

    def first_at_least(self, count: int, after: float) -> float | None:
        for arrived, seen in self.events:
            if seen >= count and arrived >= after:
                return arrived
        return None


def _on_message(client: Client, message: bytes, arrived: float, tracker: Tracker) -> None:
    event = ""
    data: list[str] = []
    for line in message.decode("utf-8", "replace").split("\r\n"):
        if line.startswith(":"):
            client.keep_alives += 1
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if event == "signed-out":
        client.error = "signed out"
        client.ready.set()
        return
    if event != "bell":
        return
    count = int(json.loads("\n".join(data))["count"])
    client.count = count
    client.events.append((arrived, count))
    client.ready.set()
    target = tracker.target
    if target is not None and count >= target and client.reported != target:
        client.reported = target
        tracker.seen()


async def run_client(client: Client, tracker: Tracker, gate: asyncio.Semaphore) -> None:
    """One open page: the stream, read until it ends or the task is cancelled. `gate` is
    held from connecting until the first bell (or a failure)."""
    writer: asyncio.StreamWriter | None = None
    await gate.acquire()
    held = True
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(client.request())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            client.error = status.decode(errors="replace").strip() or "no answer"
            return
        chunked = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        buffer = b""
        while True:
            if chunked:
                size_line = await reader.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    break
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    break
            arrived = time.perf_counter()
            buffer += data
            while (end := buffer.find(b"\r\n\r\n")) >= 0:
                _on_message(client, buffer[:end], arrived, tracker)
                buffer = buffer[end + 4 :]
            if held and client.ready.is_set():
                gate.release()
                held = False
        client.error = client.error or "the stream ended"
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        client.error = f"{type(exc).__name__}: {exc}"
    finally:
        if held:
            gate.release()
        client.ready.set()
        if writer is not None:
            writer.close()


# What the run costs, and what the database sessions do ---------------------------------


def _ticks(groups: dict[str, int], database: str) -> Counter[str]:
    """CPU jiffies so far of each Tend process group (by name) and of the PostgreSQL
    backends connected to the bench database ("PostgreSQL")."""
    by_group = {group: name for name, group in groups.items()}
    found: Counter[str] = Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
            fields = raw.rsplit(")", 1)[1].split()
            name = by_group.get(int(fields[2]))
            if name is None and "(postgres)" in raw:
                cmdline = (entry / "cmdline").read_text(errors="replace")
                name = "PostgreSQL" if f" {database} " in cmdline else None
        except (OSError, IndexError, ValueError):
            continue
        if name is not None:
            found[name] += int(fields[11]) + int(fields[12])
    return found


def _machine_ticks() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq + steal, sum(fields)


class CpuMeter:
    """CPU seconds of each part during a phase, and the machine's busy time, so the
    load generator's own cost (this process) and the neighbours' show next to Tend's."""

    def __init__(self, groups: dict[str, int], database: str) -> None:
        self.groups = groups
        self.database = database

    def __enter__(self) -> CpuMeter:
        self._parts = _ticks(self.groups, self.database)
        self._self = resource.getrusage(resource.RUSAGE_SELF)
        self._machine = _machine_ticks()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        hz = os.sysconf("SC_CLK_TCK")
        parts = _ticks(self.groups, self.database)
        me = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = _machine_ticks()
        self.wall = time.perf_counter() - self._wall
        self.seconds: dict[str, float] = {
            name: (parts[name] - self._parts[name]) / hz for name in parts
        }
        self.seconds["bench client (this process)"] = (me.ru_utime - self._self.ru_utime) + (
            me.ru_stime - self._self.ru_stime
        )
        machine_busy = (busy - self._machine[0]) / hz
        self.capacity = (total - self._machine[1]) / hz  # CPU-seconds the machine had
        self.seconds["everything else (other programs, steal)"] = max(
            0.0, machine_busy - sum(self.seconds.values())
        )


class Sampler:
    """pg_stat_activity for the bench database every SAMPLE_EVERY, by application and
    state: the most connections seen per application, and the busy ones on average."""

    def __init__(self, admin_url: str, database: str) -> None:
        self.url = urlunsplit(urlsplit(plain_url(admin_url))._replace(path=f"/{database}"))
        self.database = database
        self.phase = "connect"
        self.most: dict[str, Counter[str]] = {}
        """The most connections open at once, by application, per phase."""
        self.most_held: dict[str, Counter[str]] = {}
        """The most of them not idle (in a transaction or running a statement)."""
        self.busy: dict[str, Counter[str]] = {}
        self.samples: Counter[str] = Counter()

    async def run(self) -> None:
        conn = await asyncpg.connect(self.url, server_settings={"application_name": "bench-sample"})
        try:
            while True:
                rows = await conn.fetch(
                    "SELECT application_name AS app, state, wait_event_type, count(*) AS n "
                    "FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() "
                    "GROUP BY 1, 2, 3",
                    self.database,
                )
                phase = self.phase
                totals: Counter[str] = Counter()
                held: Counter[str] = Counter()
                for row in rows:
                    totals[row["app"] or "?"] += row["n"]
                    if row["state"] not in ("idle", None):
                        held[row["app"] or "?"] += row["n"]
                        kind = row["state"]
                        if row["wait_event_type"] not in (None, "Client"):
                            kind += f" (waiting: {row['wait_event_type']})"
                        self.busy.setdefault(phase, Counter())[f"{row['app']}: {kind}"] += row["n"]
                totals["all"] = sum(totals.values())
                held["all"] = sum(held.values())
                most = self.most.setdefault(phase, Counter())
                for app, n in totals.items():
                    most[app] = max(most[app], n)
                most_held = self.most_held.setdefault(phase, Counter())
                for app, n in held.items():
                    most_held[app] = max(most_held[app], n)
                self.samples[phase] += 1
                await asyncio.sleep(SAMPLE_EVERY)
        finally:
            await conn.close()

    def average_busy(self, phase: str) -> dict[str, float]:
        samples = self.samples[phase] or 1
        return {k: n / samples for k, n in self.busy.get(phase, Counter()).most_common()}


class LoopLag:
    """How late this process's event loop wakes for a PROBE_EVERY sleep: the arrival
    times the clients take are late by as much."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.on = False

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(PROBE_EVERY)
            if self.on:
                self.lags.append((time.perf_counter() - started - PROBE_EVERY) * 1000)


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, min(len(ordered), math.ceil(share * len(ordered)))) - 1]


# The run ---------------------------------------------------------------------------------


@dataclass
class AlertRun:
    number: int
    count: int
    committed: float
    commit_ms: float
    """From sending the raise to COMMIT returning."""
    latencies: dict[int, float | None] = field(default_factory=dict)
    """Per client index: ms from commit to arrival, None for a miss."""


@dataclass
class Outcome:
    clients: list[Client]
    alerts: list[AlertRun]
    connect_seconds: float
    cpu: CpuMeter
    sampler: Sampler
    lag: LoopLag
    ports: list[int]
    audience: Audience


def _raise_limit(wanted: int) -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return f"{soft} (hard {hard})"


async def _raise(engine, audience: Audience, number: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Raise one alert as the system; (perf_counter just after COMMIT, ms it took)."""
    async with AsyncSession(engine) as db:
        await bind_tenant(db, audience.tenant_id, None)
        started = time.perf_counter()
        async with db.begin():
            await raise_alert(
                db,
                tenant_id=audience.tenant_id,
                patient_id=audience.patient_id,
                kind=Kind.CONCERN,
                detail=f"Bench fan-out alert {number}",
                dedupe_key=f"bench-fanout-{number}-{secrets.token_hex(4)}",
                raised_by=None,
            )
        committed = time.perf_counter()
    return committed, (committed - started) * 1000


async def measure(
    db: BenchDatabase, audience: Audience, ports: list[int], groups: dict[str, int],
    args: argparse.Namespace,
) -> Outcome:  # fmt: skip
    clients = [
        Client(i, i % len(ports), ports[i % len(ports)], token)
        for i, token in enumerate(audience.tokens)
    ]
    tracker = Tracker(len(clients))
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    sampler = Sampler(db.admin_url, db.name)
    lag = LoopLag()
    background = [asyncio.create_task(sampler.run()), asyncio.create_task(lag.run())]
    engine = create_async_engine(
        async_url(db.app_url),
        pool_size=1,
        connect_args={"server_settings": {"application_name": "bench-raise"}},
    )
    tasks: list[asyncio.Task[None]] = []
    try:
        started = time.perf_counter()
        tasks = [asyncio.create_task(run_client(c, tracker, gate)) for c in clients]
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), READY_TIMEOUT)
        connect_seconds = time.perf_counter() - started
        failed = [c for c in clients if c.error or c.count is None]
        if failed:
            reasons = Counter(c.error or "no bell" for c in failed)
            msg = f"{len(failed)} streams did not open: {dict(reasons)}"
            raise RuntimeError(msg)
        base = Counter(c.count or 0 for c in clients)
        if len(base) != 1:
            msg = f"the clients disagree on the first count: {dict(base)}"
            raise RuntimeError(msg)
        (count,) = base
        _say(f"{len(clients)} streams open, first bell after {connect_seconds:.1f}s; count {count}")
        await asyncio.sleep(args.pause)  # the connect burst's recounts have settled
        if args.warmup:  # one unmeasured alert: the raiser's connection, first fan-out
            await _raise(engine, audience, 0)
            count += 1
            tracker.expect(count)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tracker.done.wait(), args.timeout)
            await asyncio.sleep(args.pause)
        alerts: list[AlertRun] = []
        sampler.phase = "alerts"
        lag.on = True
        with CpuMeter(groups, db.name) as cpu:
            for number in range(1, args.alerts + 1):
                count += 1
                tracker.expect(count)
                committed, commit_ms = await _raise(engine, audience, number)
                run = AlertRun(number, count, committed, commit_ms)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(tracker.done.wait(), args.timeout)
                for client in clients:
                    arrived = client.first_at_least(count, committed)
                    late = arrived is None or arrived - committed > args.timeout
                    run.latencies[client.index] = (
                        None if late else (arrived - committed) * 1000  # type: ignore[operator]
                    )
                alerts.append(run)
                got = [v for v in run.latencies.values() if v is not None]
                _say(
                    f"alert {number}: {len(got)}/{len(clients)} in "
                    f"{min(got, default=math.nan):.0f}–{max(got, default=math.nan):.0f} ms"
                )
                await asyncio.sleep(args.pause)
        lag.on = False
        sampler.phase = "after"
        await asyncio.sleep(SAMPLE_EVERY * 3)
        return Outcome(clients, alerts, connect_seconds, cpu, sampler, lag, ports, audience)
    finally:
        for task in [*tasks, *background]:
            task.cancel()
        await asyncio.gather(*tasks, *background, return_exceptions=True)
        await engine.dispose()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _servers(
    db: BenchDatabase, keys: BenchKeys, count: int, scratch: Path
) -> Iterator[list[harness.Target]]:
    with contextlib.ExitStack() as stack:
        targets = [
            stack.enter_context(
                harness.serve(
                    f"Tend {chr(ord('A') + n)}",
                    "app.asgi:create_app",
                    tend_env(db, scratch / "data", keys),
                    1,
                    OUT / f"fanout-tend-{chr(ord('a') + n)}.log",
                )
            )
            for n in range(count)
        ]
        yield targets


def run(args: argparse.Namespace) -> int:
    load_before = report.load_average()
    limit = _raise_limit(args.clients * 2 + 1024)
    keys = new_bench_keys()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tend-fanout-") as scratch_dir:
        scratch = Path(scratch_dir)
        with contextlib.ExitStack() as stack:
            postgres = stack.enter_context(harness.postgres(args.database_url, scratch / "pg"))
            _say(f"PostgreSQL {postgres.version}: {postgres.description}")
            db = stack.enter_context(harness.bench_database(postgres.admin_url))
            seeded = time.perf_counter()
            audience = asyncio.run(
                seed_audience(db.owner_url, keys, args.clients, args.sessions_per_person)
            )
            asyncio.run(harness.analyze(db))
            _say(
                f"database {db.name}: {audience.carers} carers and {audience.observers} "
                f"observers × {audience.per_person} sessions seeded in "
                f"{time.perf_counter() - seeded:.1f}s"
            )
            targets = stack.enter_context(_servers(db, keys, args.processes, scratch))
            _say("Tend on " + ", ".join(t.base_url for t in targets))
            groups = {t.name: t.process_group for t in targets}
            runner = _event_loop_runner()
            outcome = runner(measure(db, audience, [t.port for t in targets], groups, args))
            facts = report.machine_facts(
                postgres.version, postgres.description, _client_description(), load_before
            )
    section = render(args, outcome, [t.name for t in targets], facts, limit)
    print(section)
    if args.write:
        with RESULTS.open("a") as results:
            results.write("\n" + section)
    misses = sum(v is None for a in outcome.alerts for v in a.latencies.values())
    return 1 if misses else 0


def _event_loop_runner():  # type: ignore[no-untyped-def]
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def _client_description() -> str:
    try:
        import uvloop

        loop = f"uvloop {uvloop.__version__}"
    except ImportError:
        loop = "asyncio"
    return f"bench.fanout: raw asyncio streams (HTTP/1.1, chunked SSE) on {loop}, one process"


# Report ----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f}"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render(
    args: argparse.Namespace, outcome: Outcome, names: list[str], facts: dict[str, str],
    limit: str,
) -> str:  # fmt: skip
    alerts = outcome.alerts
    clients = outcome.clients
    every = [v for a in alerts for v in a.latencies.values() if v is not None]
    misses = sum(v is None for a in alerts for v in a.latencies.values())
    expected = len(alerts) * len(clients)
    p95 = percentile(every, 0.95)
    met = p95 < TARGET_P95_MS and not misses
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    audience = outcome.audience
    command = (
        f"python -m bench.fanout --clients {args.clients} --alerts {args.alerts} "
        f"--processes {args.processes}" + (" --write" if args.write else "")
    )
    lines = [
        f"## {when} — live bell fan-out, {facts['CPU']}, {facts['CPUs (nproc)']} CPUs",
        "",
        f"`{command}` — {len(clients)} SSE clients (`GET /alerts/stream`, "
        "`Accept: text/event-stream`) split evenly over "
        f"{len(names)} Tend processes (uvicorn, 1 worker each, its own port); "
        f"{audience.carers} carers and {audience.observers} observers with a grant to the one "
        f"patient, {audience.per_person} signed-in sessions each; {len(alerts)} alerts "
        "raised by the bench (`raise_alert`, `raised_by=None`, in a transaction bound to the "
        f"care account), one at a time, each after every client had the previous one (or "
        f"{args.timeout:.0f} s passed) and a {args.pause:g} s pause"
        + (", after one unmeasured alert" if args.warmup else "")
        + ". Latency: from just after the raising transaction's COMMIT returned to the "
        "arrival of the client's first `bell` event with the higher count.",
        "",
        "| measure | all | " + " | ".join(names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]
    by_process: list[list[float]] = [[] for _ in names]
    misses_by: list[int] = [0 for _ in names]
    for a in alerts:
        for index, value in a.latencies.items():
            process = clients[index].process
            if value is None:
                misses_by[process] += 1
            else:
                by_process[process].append(value)
    for label, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0)):
        lines.append(
            _row(
                [f"{label} ms", _ms(percentile(every, share))]
                + [_ms(percentile(values, share)) for values in by_process]
            )
        )
    lines.append(
        _row(
            [f"deliveries (of {expected:,})", f"{len(every):,}"]
            + [f"{len(v):,}" for v in by_process]
        )
    )
    lines.append(_row([f"misses (none within {args.timeout:.0f} s)", str(misses)]
                      + [str(m) for m in misses_by]))  # fmt: skip
    lines += [
        "",
        f"Target (the issue): p95 under 1 s at 500 clients on 2 processes: {_ms(p95)} ms"
        + (
            f" at {len(clients)} clients on {len(names)}"
            if (len(clients), len(names)) != (500, 2)
            else ""
        )
        + " — "
        + ("met" if met else "**not met**")
        + (f" ({misses} misses)" if misses else "")
        + ".",
        "",
        "Each alert, from its commit (ms): the first and the last client to get it, and the "
        "last on each process; the commit's own time (the raise's INSERT and COMMIT).",
        "",
        "| alert | commit | first | p50 | last | " + " | ".join(f"last, {n}" for n in names) + " |",
        "|---:|---:|---:|---:|---:|" + "---:|" * len(names),
    ]
    for a in alerts:
        got = [v for v in a.latencies.values() if v is not None]
        lasts = []
        for process in range(len(names)):
            mine = [
                v for i, v in a.latencies.items() if clients[i].process == process and v is not None
            ]
            lasts.append(_ms(max(mine, default=math.nan)))
        lines.append(
            _row(
                [
                    str(a.number),
                    f"{a.commit_ms:.1f}",
                    _ms(min(got, default=math.nan)),
                    _ms(percentile(got, 0.5)),
                    _ms(max(got, default=math.nan)),
                    *lasts,
                ]
            )
        )
    cpu = outcome.cpu
    lines += [
        "",
        f"CPU during the {len(alerts)} alerts ({cpu.wall:.1f} s; the machine had "
        f"{cpu.capacity:.1f} CPU-seconds):",
        "",
        "| part | CPU s | share of the machine |",
        "|---|---:|---:|",
    ]
    for part, seconds in sorted(cpu.seconds.items(), key=lambda kv: -kv[1]):
        share = seconds / cpu.capacity if cpu.capacity else math.nan
        lines.append(_row([part, f"{seconds:.2f}", f"{share:.0%}"]))
    lags = outcome.lag.lags
    sampler = outcome.sampler
    phases = ("connect", "alerts")
    apps = sorted({app for phase in phases for app in sampler.most.get(phase, Counter())} - {"all"})
    lines += [
        "",
        f"Connections to the bench database for {len(clients)} open streams "
        f"(pg_stat_activity every {SAMPLE_EVERY * 1000:.0f} ms): the most open at once, and "
        "the most of them busy at once (running a statement or in a transaction; the rest "
        "idle in the pools):",
        "",
        "| application | open, streams opening | busy, streams opening "
        "| open, alerts | busy, alerts |",
        "|---|---:|---:|---:|---:|",
    ]
    for app in [*apps, "all"]:
        cells = []
        for phase in phases:
            cells.append(str(sampler.most.get(phase, Counter())[app]))
            cells.append(str(sampler.most_held.get(phase, Counter())[app]))
        lines.append(_row([app, *cells]))
    lines += [
        "",
        "Busy sessions at an average moment of the alerts: "
        + (
            ", ".join(f"{n:.2f} {kind}" for kind, n in sampler.average_busy("alerts").items())
            or "none"
        )
        + ".",
        "",
        "Checks:",
        "",
        f"- every stream opened and got its first bell: {len(clients)} in "
        f"{outcome.connect_seconds:.1f} s ({CONNECT_AT_ONCE} opening at once)",
        f"- the load generator's own event loop (probe: a {PROBE_EVERY * 1000:.0f} ms sleep, "
        f"during the alerts) woke late by p50 {percentile(lags, 0.5):.1f} ms, p99 "
        f"{percentile(lags, 0.99):.1f} ms, max {max(lags, default=math.nan):.1f} ms: "
        "arrival times are late by as much",
        f"- the bench's CPU per delivery: "
        f"{cpu.seconds['bench client (this process)'] / max(1, len(every)) * 1e6:.0f} µs "
        f"(its whole process, sampler and raiser included)",
        f"- streams ended early: {sum(c.error is not None for c in clients)}; "
        f"keep-alive comments received: {sum(c.keep_alives for c in clients)}",
        f"- open-file limit of the bench (and of the uvicorn processes it starts): {limit}",
        "",
        "Machine:",
        "",
        *(f"- {k}: {v}" for k, v in facts.items()),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=500, help="open streams [500]")
    parser.add_argument("--alerts", type=int, default=10, help="measured alerts [10]")
    parser.add_argument("--processes", type=int, default=2, help="Tend processes [2]")
    parser.add_argument(
        "--sessions-per-person", type=int, default=5, help="open pages per person [5]"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per alert [10]")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between alerts [1]")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false",
                        help="no unmeasured alert first")  # fmt: skip
    parser.add_argument("--database-url", default="", help="an admin (superuser) URL")
    parser.add_argument("--write", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except RuntimeError as exc:
        _say(f"fan-out bench could not run: {exc}")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
