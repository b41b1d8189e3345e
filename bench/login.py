"""Sign-in under load: POST /login latency at a steady rate, and event-loop lag in a burst.

Each sign-in is what a browser does: GET /login (Tend sets its CSRF cookie and puts the
token in the form), then POST the form with the `_csrf_token` field and that cookie. Only
the POST is timed. Logins start on a fixed schedule (open loop), so a slow answer does
not quietly lower the rate it was measured at.

While logins run, GET /healthz is sent every PROBE_INTERVAL on a new connection each time
(so the probes land on both workers): /healthz is answered on the event loop without the
database, so its latency is how long a worker's loop takes to get to a request. The same
probe with no load is the reference.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import math
import re
import statistics
import time
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from http.cookies import SimpleCookie

import httpx

from bench.seed import LoginAccount, LoginTenant, real_hasher

PROBE_INTERVAL = 0.020
IDLE_SECONDS = 5.0
PAUSE_SECONDS = 2.0
WARMUP_SIGN_INS = 10
"""Unmeasured, first: each worker's first sign-ins prepare statements and start the
thread pool argon2 runs in, which a few hundred measured ones should not include."""
TIMEOUT = 30.0
_CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
LANDING = "/today"
"""Where a sign-in asking for the home page lands (app/domain/identity/controllers/_signin.py)."""


def _no_cookies() -> CookieJar:
    """A jar that keeps nothing: over plain http Tend's cookies are not Secure, so a shared
    client's jar would send one sign-in's session cookie with the next sign-in's GET."""
    return CookieJar(DefaultCookiePolicy(allowed_domains=[]))


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (what a reader expects of "p95" over a few hundred values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Timings:
    """Latencies of one kind of request in one phase, in milliseconds."""

    latencies: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)

    def note(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def stat(self, name: str) -> float:
        if not self.latencies:
            return float("nan")
        if name == "max":
            return max(self.latencies)
        if name == "mean":
            return statistics.fmean(self.latencies)
        return percentile(self.latencies, int(name[1:]) / 100)


@dataclass
class Phase:
    name: str
    planned: int
    """Sign-ins meant to run in this phase."""
    measured: bool = True
    seconds: float = 0.0
    posts: Timings = field(default_factory=Timings)
    gets: Timings = field(default_factory=Timings)
    probes: Timings = field(default_factory=Timings)

    @property
    def signed_in(self) -> int:
        return self.posts.outcomes.get("signed in", 0)


@dataclass
class LoginResult:
    rate: float
    seconds: float
    burst: int
    accounts: int
    phases: list[Phase]
    argon2_ms: float
    """One argon2id verify at Tend's parameters, alone, in one thread of this process."""
    argon2_parameters: str
    counted_by_rate_limit: int = 0
    rehashed: int = 0
    problems: list[str] = field(default_factory=list)


async def _sign_in(client: httpx.AsyncClient, account: LoginAccount, phase: Phase) -> None:
    started = time.perf_counter()
    try:
        form = await client.get("/login")
        phase.gets.latencies.append((time.perf_counter() - started) * 1000)
        jar: SimpleCookie = SimpleCookie()
        for value in form.headers.get_list("set-cookie"):
            jar.load(value)
        token = _CSRF_FIELD.search(form.text)
        if form.status_code != 200 or token is None or "tend_csrf" not in jar:
            phase.posts.note(f"no sign-in form (GET {form.status_code})")
            return
        # Sent by hand: the client keeps no cookies (each sign-in is a new browser). Over
        # plain http in development the cookie has its plain name (app/lib/cookies.py).
        cookie = f"tend_csrf={jar['tend_csrf'].value}"
        data = {
            "_csrf_token": html.unescape(token.group(1)),
            "email": account.email,
            "password": account.password,
            "next": "/",
        }
        started = time.perf_counter()
        answer = await client.post("/login", data=data, headers={"Cookie": cookie})
        elapsed = (time.perf_counter() - started) * 1000
    except httpx.HTTPError as exc:
        phase.posts.note(f"error {type(exc).__name__}")
        return
    phase.posts.latencies.append(elapsed)
    session_set = any(v.startswith("tend_session=") for v in answer.headers.get_list("set-cookie"))
    landed = answer.headers.get("location") == LANDING
    if answer.status_code == 303 and landed and session_set:
        phase.posts.note("signed in")
    else:
        phase.posts.note(f"status {answer.status_code}")


async def _probe(client: httpx.AsyncClient, phase: Phase) -> None:
    started = time.perf_counter()
    try:
        answer = await client.get("/healthz")
    except httpx.HTTPError as exc:
        phase.probes.note(f"error {type(exc).__name__}")
        return
    phase.probes.latencies.append((time.perf_counter() - started) * 1000)
    phase.probes.note(str(answer.status_code))


async def _probing(client: httpx.AsyncClient, phase: Phase, stop: asyncio.Event) -> None:
    """A probe every PROBE_INTERVAL on a fixed schedule until `stop`, then wait for all."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    number = 0
    while not stop.is_set():
        tasks.append(asyncio.create_task(_probe(client, phase)))
        number += 1
        delay = start + number * PROBE_INTERVAL - loop.time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    await asyncio.gather(*tasks)


async def _phase(
    base_url: str,
    phase: Phase,
    accounts: list[LoginAccount],
    *,
    rate: float | None,
    seconds: float = 0.0,
) -> Phase:
    """Run `phase.planned` sign-ins, `rate` a second (None: all at once), with probes
    throughout; a phase of none only probes for `seconds`."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with (
        httpx.AsyncClient(
            base_url=base_url, timeout=TIMEOUT, limits=limits, cookies=_no_cookies()
        ) as client,
        httpx.AsyncClient(
            base_url=base_url,
            timeout=TIMEOUT,
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as prober,
    ):
        stop = asyncio.Event()
        probes = asyncio.create_task(_probing(prober, phase, stop))
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for number in range(phase.planned):
            if rate:
                await asyncio.sleep(max(0.0, start + number / rate - loop.time()))
            account = accounts[number % len(accounts)]
            tasks.append(asyncio.create_task(_sign_in(client, account, phase)))
        if phase.planned:
            await asyncio.gather(*tasks)
        else:
            await asyncio.sleep(seconds)
        phase.seconds = loop.time() - start
        stop.set()
        await probes
    return phase


def _argon2_alone() -> tuple[float, str]:
    hasher = real_hasher()
    stored = hasher.hash("a password of the usual length")
    times = []
    for _ in range(7):
        started = time.perf_counter()
        hasher.verify(stored, "a password of the usual length")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), stored.split("$")[3]


async def run(
    base_url: str, tenant: LoginTenant, *, rate: float, seconds: float, burst: int
) -> LoginResult:
    argon2_ms, parameters = await asyncio.to_thread(_argon2_alone)
    accounts = tenant.accounts
    steady = round(rate * seconds)
    phases = [
        await _phase(
            base_url, Phase("warm-up", WARMUP_SIGN_INS, measured=False), accounts, rate=5.0
        ),
        await _phase(base_url, Phase("no load", 0), accounts, rate=None, seconds=IDLE_SECONDS),
    ]
    phases.append(await _phase(base_url, Phase(f"steady {rate:g}/s", steady), accounts, rate=rate))
    await asyncio.sleep(PAUSE_SECONDS)
    phases.append(await _phase(base_url, Phase(f"burst of {burst}", burst), accounts, rate=None))
    result = LoginResult(
        rate=rate,
        seconds=seconds,
        burst=burst,
        accounts=len(accounts),
        phases=phases,
        argon2_ms=argon2_ms,
        argon2_parameters=parameters,
    )
    for phase in phases:
        wrong = {k: v for k, v in phase.posts.outcomes.items() if k != "signed in"}
        if wrong or phase.signed_in != phase.planned:
            result.problems.append(
                f"{phase.name}: {phase.signed_in} of {phase.planned} signed in; "
                + ", ".join(f"{v} {k}" for k, v in wrong.items())
            )
        failed_probes = {k: v for k, v in phase.probes.outcomes.items() if k != "200"}
        if failed_probes:
            result.problems.append(
                f"{phase.name}: /healthz probes "
                + ", ".join(f"{v} {k}" for k, v in failed_probes.items())
            )
    return result
