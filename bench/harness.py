"""The moving parts of a run: PostgreSQL, the bench database, the two servers, and wrk.

Whatever here starts something is a context manager that stops it again, whatever ends
the block: a finished run, an error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gzip
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from app.config import plain_url
from app.db import embedded, migrate
from app.db.provision import drop, provision
from bench.scenarios import BenchDatabase

REPO = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
LOCAL_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
OWNER_ROLE = "tend_owner"
APP_ROLE = "tend_app"
READY_TIMEOUT = 60.0


# PostgreSQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Postgres:
    admin_url: str
    description: str
    version: str


async def _server_version(admin_url: str) -> str:
    conn = await asyncpg.connect(plain_url(admin_url), timeout=5)
    try:
        return str(await conn.fetchval("SELECT current_setting('server_version')"))
    finally:
        await conn.close()


def _accepts_connections(url: str) -> bool:
    try:
        asyncio.run(_server_version(url))
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


def _describe(url: str) -> str:
    parts = urlsplit(plain_url(url))
    return f"{parts.username or 'postgres'}@{parts.hostname or 'local socket'}:{parts.port or 5432}"


@contextlib.contextmanager
def postgres(url: str | None, scratch: Path) -> Iterator[Postgres]:
    """An admin URL: the one given, the environment's, the local server's, or an embedded one."""
    url = url or os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url and _accepts_connections(LOCAL_ADMIN_URL):
        url = LOCAL_ADMIN_URL
    if url:
        yield Postgres(
            url, f"PostgreSQL server at {_describe(url)}", asyncio.run(_server_version(url))
        )
        return
    server = embedded.start(scratch)
    try:
        admin_url = server.get_uri()
        yield Postgres(
            admin_url, "embedded PostgreSQL (pgserver)", asyncio.run(_server_version(admin_url))
        )
    finally:
        server.cleanup()


@contextlib.contextmanager
def bench_database(admin_url: str) -> Iterator[BenchDatabase]:
    """A fresh `tend_bench_<random>` database with Tend's roles and migrations; dropped after."""
    name = f"tend_bench_{secrets.token_hex(4)}"
    try:
        urls = asyncio.run(provision(admin_url, name, OWNER_ROLE, APP_ROLE))
        migrate.upgrade(urls.owner_url, APP_ROLE)
        yield BenchDatabase(admin_url, urls.owner_url, urls.app_url, name)
    finally:
        asyncio.run(drop(admin_url, name))


async def analyze(db: BenchDatabase) -> None:
    """Fresh statistics after seeding, so the planner sees the data the scenario measures."""
    conn = await asyncpg.connect(plain_url(db.owner_url))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


# Servers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    port: int
    workers: int
    log: Path
    process_group: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    # A bench killed outright (SIGKILL) cannot run its cleanup: the uvicorn supervisor then
    # gets SIGTERM from the kernel and stops its workers itself.
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (supervisor and workers), SIGKILL if slow."""
    group = process.pid
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            process.wait()
    # The supervisor is gone; a worker that outlived it still holds the group.
    deadline = time.monotonic() + 5
    while _group_alive(group):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            break
        time.sleep(0.1)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def serve(
    name: str, app_factory: str, env: Mapping[str, str], workers: int, log: Path
) -> Iterator[Target]:
    """`uvicorn <app_factory> --factory` in a process group of its own, once /readyz answers."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app_factory,
        "--factory",
        "--workers",
        str(workers),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Its own group: Ctrl-C reaches the bench alone, which then stops it in order.
            start_new_session=True,
            preexec_fn=_die_with_parent,  # safe: the bench runs no threads of its own
        )
    try:
        target = Target(name, port, workers, log, process.pid)
        _wait_ready(target, process)
        yield target
    finally:
        _stop(process)


def _wait_ready(target: Target, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = (
                f"{target.name} exited with status {process.returncode} while starting; "
                f"its log ({target.log}):\n{log_tail(target.log)}"
            )
            raise RuntimeError(msg)
        status, body, _ = fetch(target.url("/readyz"), timeout=2)
        if status == 200:
            return
        last = f"{status} {body[:300]!r}" if status else body
        time.sleep(0.2)
    msg = (
        f"{target.name} was not ready after {READY_TIMEOUT:.0f}s (last /readyz: {last}); "
        f"its log ({target.log}):\n{log_tail(target.log)}"
    )
    raise RuntimeError(msg)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """wrk does not follow redirects either: a page that sends the load to /login must
    show as that redirect, not as the sign-in page it leads to."""

    def redirect_request(self, *_: object, **__: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(
    url: str, headers: Sequence[str] = (), timeout: float = 10, data: bytes | None = None
) -> tuple[int, str, list[str]]:
    """(status, body, Set-Cookie values); status 0 and the reason when nothing answered.
    With `data`, a POST of that body."""
    request = urllib.request.Request(url, data=data)  # noqa: S310 (a 127.0.0.1 URL the harness built)
    for header in headers:
        name, _, value = header.partition(":")
        request.add_header(name.strip(), value.strip())
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = _decoded(response.read(), response.headers.get("Content-Encoding"))
            return response.status, body, response.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as exc:
        body = _decoded(exc.read(), exc.headers.get("Content-Encoding"))
        return exc.code, body, exc.headers.get_all("Set-Cookie") or []
    except (urllib.error.URLError, OSError) as exc:
        return 0, f"{type(exc).__name__}: {exc}", []


def _decoded(body: bytes, encoding: str | None) -> str:
    if encoding == "gzip":
        body = gzip.decompress(body)
    return body.decode("utf-8", "replace")


def cookie_header(set_cookies: Sequence[str], known: Mapping[str, str] | None = None) -> str | None:
    """The `Cookie` header a browser would send back after these `Set-Cookie` headers,
    with the cookies it already had (`known`, e.g. a session) kept."""
    cookies = dict(known or {})
    jar: SimpleCookie = SimpleCookie()
    for value in set_cookies:
        jar.load(value)
    cookies.update((key, morsel.value) for key, morsel in jar.items())
    if not cookies:
        return None
    return "Cookie: " + "; ".join(f"{key}={value}" for key, value in cookies.items())


# Other load on the machine -------------------------------------------------------------


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine; steal counts as busy: it is the host
    running someone else."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq + steal, sum(fields)


def _bench_jiffies(process_groups: frozenset[int], database: str) -> dict[int, int]:
    """CPU time of each process serving the benchmark: the servers' process groups and
    the PostgreSQL backends connected to the bench database."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
            fields = raw.rsplit(")", 1)[1].split()
            ours = int(fields[2]) in process_groups
            if not ours and "(postgres)" in raw:
                ours = database in (entry / "cmdline").read_text(errors="replace")
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or not ours to read
        if ours:
            found[int(entry.name)] = int(fields[11]) + int(fields[12])
    return found


class OtherLoad:
    """The share of the machine's CPU that went to anything but the benchmark during a
    round: other programs, or the hypervisor's other guests (steal). A round that others
    took a large share of measured the machine's neighbours more than Tend."""

    def __init__(self, targets: Sequence[Target], database: str) -> None:
        self.groups = frozenset(t.process_group for t in targets)
        self.database = database

    def __enter__(self) -> OtherLoad:
        self.share: float | None = None
        self._machine = _machine_jiffies()
        self._bench = _bench_jiffies(self.groups, self.database)
        self._children = os.times()
        return self

    def __exit__(self, *_: object) -> None:
        busy, total = _machine_jiffies()
        bench = _bench_jiffies(self.groups, self.database)
        children = os.times()
        ticks = os.sysconf("SC_CLK_TCK")
        # wrk has exited and been reaped by now: its CPU time is in our children's times.
        wrk = (children.children_user - self._children.children_user) + (
            children.children_system - self._children.children_system
        )
        ours = sum(j - self._bench.get(pid, 0) for pid, j in bench.items()) + wrk * ticks
        elapsed = total - self._machine[1]
        if elapsed > 0:
            self.share = max(0.0, (busy - self._machine[0] - ours) / elapsed)


# What the database sessions are doing ---------------------------------------------------

SAMPLE_EVERY = 0.05
_ACTIVITY = """
    SELECT state, wait_event_type, wait_event, left(query, 200) AS query
      FROM pg_stat_activity
     WHERE datname = $1 AND application_name = $2 AND state <> 'idle'
       AND pid <> pg_backend_pid()
"""
_STATEMENT = re.compile(
    r"^\s*(INSERT INTO \w+|UPDATE \w+|DELETE FROM \w+|SELECT \* FROM \w+|COMMIT|BEGIN"
    r"|SELECT .*? FROM \w+)",
    re.IGNORECASE | re.DOTALL,
)


def _statement(query: str) -> str:
    found = _STATEMENT.match(query or "")
    return found.group(1) if found and len(found.group(1)) <= 40 else (query or "?")[:30]


def _activity_kind(state: str, wait_type: str | None, wait: str | None, query: str) -> str:
    if state.startswith("idle in transaction"):
        return "idle in transaction (waiting for the app)"
    if wait_type == "Lock":
        return f"waiting for a lock in {_statement(query)}"
    if wait_type == "IO" and wait and wait.startswith("WAL"):
        return "writing WAL (commit)"
    if wait_type in (None, "Client"):
        return "running a statement"
    return f"waiting on {wait_type} {wait}"


class DatabaseWaits:
    """What one app's database sessions do during a round, sampled from pg_stat_activity
    every SAMPLE_EVERY: how many, on average, run a statement, wait for a lock, or sit
    idle in a transaction while the app works. A wait that queues every request shows
    here rather than as a mystery in the latency."""

    def __init__(self, admin_url: str, database: str, application_name: str) -> None:
        # Connected to the bench database itself, so OtherLoad counts the sampler's own
        # backend as the benchmark's, not as other load.
        self.url = urlunsplit(urlsplit(plain_url(admin_url))._replace(path=f"/{database}"))
        self.database = database
        self.application_name = application_name
        self.counts: Counter[str] = Counter()
        self.samples = 0

    def __enter__(self) -> DatabaseWaits:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._sample()), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    async def _sample(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            while not self._stop.is_set():
                rows = await conn.fetch(_ACTIVITY, self.database, self.application_name)
                self.counts.update(
                    _activity_kind(r["state"], r["wait_event_type"], r["wait_event"], r["query"])
                    for r in rows
                )
                self.samples += 1
                await asyncio.sleep(SAMPLE_EVERY)
        finally:
            await conn.close()

    def average(self) -> dict[str, float]:
        """Sessions of each kind at an average moment, busiest kind first."""
        if not self.samples:
            return {}
        return {kind: n / self.samples for kind, n in self.counts.most_common()}


# Load ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float
    requests_per_second: float
    bytes_per_response: float
    p50: float
    p95: float
    p99: float
    mean: float
    max: float
    non_2xx: int
    unexpected_body: int
    socket_errors: dict[str, int]
    connections_per_worker: tuple[int, ...] | None
    other_load: float | None = None
    """The share of the machine's CPU others used during the round (see OtherLoad)."""
    db_sessions: dict[str, float] | None = None
    """The app's database sessions by what they were doing (see DatabaseWaits)."""

    @property
    def clean(self) -> bool:
        return not (self.non_2xx or self.unexpected_body or any(self.socket_errors.values()))

    def problems(self) -> list[str]:
        found = []
        if self.non_2xx:
            found.append(f"{self.non_2xx} non-2xx responses")
        if self.unexpected_body:
            found.append(f"{self.unexpected_body} 2xx responses without the expected text")
        found += [
            f"{count} socket {kind} errors" for kind, count in self.socket_errors.items() if count
        ]
        return found


def wrk_version() -> str:
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (result.stdout or result.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def seconds(duration: str) -> float:
    """A wrk duration (15, 15s, 2m, 1h) in seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    if duration[-1:] in units:
        return float(duration[:-1]) * units[duration[-1]]
    return float(duration)


def connections_per_worker(target: Target) -> tuple[int, ...] | None:
    """The open connections each server process holds, largest first (None without `ss`).

    uvicorn's workers share one listening socket and each accepts whatever is queued
    when it wakes, so wrk's connections, opened at once and kept alive for the round, can
    all land on one worker: then one core serves the round. Shown, so a skewed round can
    be told from a slow one.
    """
    if shutil.which("ss") is None:
        return None
    listing = subprocess.run(
        ["ss", "--tcp", "--numeric", "--processes", "--no-header", "state", "established",
         f"( sport = :{target.port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout  # fmt: skip
    counts = sorted(Counter(re.findall(r"pid=(\d+)", listing)).values(), reverse=True)
    return tuple(counts + [0] * (target.workers - len(counts)))


def run_wrk(
    target: Target,
    path: str,
    *,
    connections: int,
    threads: int,
    duration: str,
    headers: Sequence[str],
    expect: str,
    expect_counts: Sequence[tuple[str, int]] = (),
    script: Path = WRK_SCRIPT,
    env: Mapping[str, str] | None = None,
) -> Measurement:
    """One wrk run. `script` is the Lua script (wrk_report.lua, or one that builds each
    request and loads wrk_report.lua for the counting), `env` what it reads besides."""
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}",
        # Generous: a slow response should show in the percentiles, not vanish as an error.
        "--timeout=10s",
        f"--script={script}",
    ]
    for header in headers:
        command += ["--header", header]
    command.append(target.url(path))
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "BENCH_EXPECT": expect,
            "BENCH_EXPECT_COUNTS": "\n".join(f"{n}\t{text}" for text, n in expect_counts),
            "BENCH_REPORT_SCRIPT": str(WRK_SCRIPT),
            "BENCH_THREADS": str(threads),
            **(env or {}),
        },
    )
    split = None
    try:
        try:
            stdout, stderr = process.communicate(timeout=min(1.0, seconds(duration) / 2))
        except subprocess.TimeoutExpired:
            split = connections_per_worker(target)
            stdout, stderr = process.communicate()
    except BaseException:
        process.kill()
        process.wait()
        raise
    for line in stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            break
    else:
        msg = f"wrk gave no report (exit {process.returncode}):\n{stdout}{stderr}"
        raise RuntimeError(msg)
    latency = data["latency_ms"]
    requests = int(data["requests"])
    return Measurement(
        requests=requests,
        seconds=float(data["seconds"]),
        requests_per_second=float(data["requests_per_second"]),
        bytes_per_response=int(data["bytes"]) / requests if requests else 0.0,
        p50=float(latency["p50"]),
        p95=float(latency["p95"]),
        p99=float(latency["p99"]),
        mean=float(latency["mean"]),
        max=float(latency["max"]),
        non_2xx=int(data["non_2xx"]),
        unexpected_body=int(data["unexpected_body"]),
        socket_errors={kind: int(count) for kind, count in data["socket_errors"].items()},
        connections_per_worker=split,
    )
