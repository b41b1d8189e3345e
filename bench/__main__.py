"""`python -m bench`: Tend and the baseline side by side under the same load (README.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from types import FrameType

from app.lib import csrf, session_tokens
from bench import harness, login, report, seed
from bench.scenarios import GROUPS, SCENARIOS, Access, BenchDatabase, Scenario
from bench.seed import BenchKeys, new_bench_keys

OUT = Path(__file__).resolve().parent / "out"
# Tend's CSRF token (app/lib/csrf.py): an HMAC-SHA256 in 64 hex digits, of the session
# signed in, else of the visitor nonce in the CSRF cookie.
CSRF_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")
DURATION = re.compile(r"^\d+(\.\d+)?[smh]?$")
LOGIN = "login"
# How each app names its database connections (app/asgi.py, bench/baseline_app.py).
APPLICATION_NAMES = {"Tend": "tend-web", "baseline": "tend-bench-baseline"}
ROUND_TRIP_SCENARIO = "patients"
# Over plain http in development (the bench's loopback) Tend's cookies have their plain
# names; over HTTPS they would be `__Host-…` (app/lib/cookies.py).
TEND_CSRF_COOKIE = csrf.COOKIE
TEND_SESSION_COOKIE = session_tokens.COOKIE


def _duration(value: str) -> str:
    if not DURATION.match(value):
        msg = f"{value!r} is not a wrk duration such as 15s, 1m"
        raise argparse.ArgumentTypeError(msg)
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark Tend against a bare Litestar + asyncpg + Jinja baseline.",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[*SCENARIOS, *GROUPS, LOGIN],
        help="a scenario to run (repeatable; patients-scale: patients-1k and patients-100k; "
        "login: the sign-in load); with neither --scenario nor --round-trips, every "
        "scenario, the sign-in load and the round-trip count run",
    )
    parser.add_argument(
        "--round-trips",
        action="store_true",
        help="count the database round trips of one patient-list request on Tend and on "
        "the baseline (alone, or with the scenarios named)",
    )
    parser.add_argument(
        "--login-rate", type=float, default=10.0, help="sign-ins a second, steady [10]"
    )
    parser.add_argument(
        "--login-seconds", type=float, default=20.0, help="length of the steady sign-ins [20]"
    )
    parser.add_argument("--login-burst", type=int, default=40, help="sign-ins fired at once [40]")
    parser.add_argument(
        "--login-accounts", type=int, default=20, help="accounts the sign-ins rotate over [20]"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections [16]")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    parser.add_argument("--duration", type=_duration, default="15s", help="per round [15s]")
    parser.add_argument("--warmup", type=_duration, default="5s", help="per target [5s]")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per target [3]")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per app [2]")
    parser.add_argument(
        "--database-url",
        help="an admin (superuser) URL [BENCH_DATABASE_URL, TEST_DATABASE_URL, the local "
        "server on 127.0.0.1:5432 if it answers, else an embedded PostgreSQL]",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="an extra request header for both apps (repeatable), e.g. 'Accept-Encoding: gzip'",
    )
    parser.add_argument(
        "--first-visit",
        action="store_true",
        help="send no cookies but a signed-in scenario's session: every request is a "
        "browser's first (default: a returning browser, sending back the cookies its first "
        "request was given)",
    )
    parser.add_argument(
        "--write", action="store_true", help="append the results to bench/RESULTS.md"
    )
    args = parser.parse_args(argv)
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    if args.rounds < 1 or args.workers < 1:
        parser.error("--rounds and --workers must be at least 1")
    if args.login_rate <= 0 or args.login_seconds <= 0 or args.login_burst < 1:
        parser.error("--login-rate, --login-seconds and --login-burst must be positive")
    if args.login_accounts < 1:
        parser.error("--login-accounts must be at least 1")
    return args


@dataclasses.dataclass(frozen=True)
class Plan:
    scenarios: list[Scenario]
    login: bool
    round_trips: bool


def plan(args: argparse.Namespace) -> Plan:
    """What runs: what was named; when nothing was, everything."""
    if not args.scenario and not args.round_trips:
        return Plan(list(SCENARIOS.values()), login=True, round_trips=True)
    names: list[str] = []
    for name in args.scenario or []:
        for member in GROUPS.get(name, (name,)):
            if member not in names:
                names.append(member)
    return Plan(
        [SCENARIOS[n] for n in names if n in SCENARIOS],
        login=LOGIN in names,
        round_trips=args.round_trips,
    )


class Stopped(BaseException):
    """SIGTERM or SIGHUP: unwinds through every `finally` like Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def _restoring_sigint() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def tend_env(db: BenchDatabase, data_dir: Path, keys: BenchKeys) -> dict[str, str]:
    """Tend's environment: the app role, this run's keys, a throwaway data directory.

    The bench knows the secret, master and MFA keys, so it can sign session cookies and
    seal patients Tend will read. Keys Tend has no variable for here are generated into
    the data directory, as in development, so a new key Tend starts requiring does not
    break the benchmark. No caller's `TEND_*` variable passes: in particular not
    TEND_ENV=test with TEND_TEST_CHEAP_ARGON2, which would make sign-in cheap.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEND_")}
    env.pop("DATABASE_OWNER_URL", None)
    env.update(DATABASE_URL=db.app_url, TEND_DATA_DIR=str(data_dir), **keys.env())
    return env


def compare_pages(tend_body: str, baseline_body: str) -> str:
    tend_lines = CSRF_TOKEN.sub("<csrf>", tend_body).splitlines()
    baseline_lines = CSRF_TOKEN.sub("<csrf>", baseline_body).splitlines()
    if tend_lines == baseline_lines:
        return "identical HTML (CSRF token aside)"
    pairs = zip(tend_lines, baseline_lines, strict=False)
    for number, (ours, theirs) in enumerate(pairs, start=1):
        if ours != theirs:
            return (
                f"HTML differs from line {number}: "
                f"Tend {ours.strip()[:120]!r}, baseline {theirs.strip()[:120]!r}"
            )
    return f"HTML differs in length: Tend {len(tend_lines)} lines, baseline {len(baseline_lines)}"


def _page_problem(scenario: Scenario, status: int, body: str) -> str | None:
    if status != 200:
        return f"answered {status}"
    if scenario.expect not in body:
        return f"has no {scenario.expect!r}"
    for text, count in scenario.expect_counts:
        if body.count(text) != count:
            return f"has {body.count(text)} times {text!r}, not {count}"
    return None


def paths(scenario: Scenario, access: Access) -> tuple[str, str]:
    """(Tend's path, the baseline's): the seed's when it names seeded rows."""
    return (
        access.tend_path or scenario.tend_path,
        access.baseline_path or scenario.baseline_path,
    )


def prepare(
    scenario: Scenario,
    access: Access,
    tend: harness.Target,
    baseline: harness.Target,
    args: argparse.Namespace,
    keys: BenchKeys,
) -> tuple[dict[str, list[str]], str]:
    """The headers the load sends to each app, and how the two pages compare; fails on a
    broken page. A POST scenario's check records one dose (or whatever it does) on each."""
    tend_path, baseline_path = paths(scenario, access)
    sides = (
        (tend, tend_path, dict(access.tend_cookies), ()),
        (baseline, baseline_path, {}, access.baseline_headers),
    )
    headers: dict[str, list[str]] = {}
    for target, path, cookies, extra in sides:
        sent = [*args.header, *scenario.headers, *extra]
        set_cookies: list[str] = []
        if not args.first_visit or scenario.csrf:
            # What the first visit sets (Tend's CSRF cookie) a browser sends on every later
            # one; a signed-in browser's session cookie goes on every visit, first or not.
            # A POST needs the CSRF cookie: it comes from a GET of the home page.
            first = [*args.header, *extra, *filter(None, [harness.cookie_header([], cookies)])]
            first_path = "/" if scenario.method != "GET" else path
            set_cookies = harness.fetch(target.url(first_path), first)[2]
        cookie = harness.cookie_header(set_cookies, cookies)
        headers[target.name] = [*sent, *([cookie] if cookie else [])]
        if scenario.csrf and target is tend:
            token = csrf_token(keys, set_cookies, cookies)
            if token is None:
                msg = f"{scenario.name}: neither a session nor a CSRF cookie from GET /"
                raise RuntimeError(msg)
            headers[target.name].append(f"X-CSRFToken: {token}")
    bodies = []
    for target, path, _, _ in sides:
        data = access.check_body.get(target.name) if scenario.method == "POST" else None
        status, body, _ = harness.fetch(
            target.url(path), headers[target.name], data=data.encode() if data else None
        )
        problem = _page_problem(scenario, status, body)
        if problem:
            msg = (
                f"{scenario.name}: {target.name} {scenario.method} {path} {problem}:\n"
                f"{body[:2000]}\n{target.name} log:\n{harness.log_tail(target.log)}"
            )
            raise RuntimeError(msg)
        bodies.append(body)
    return headers, compare_pages(*bodies)


def csrf_token(keys: BenchKeys, set_cookies: list[str], known: dict[str, str]) -> str | None:
    """The token Tend's pages carry for a browser with these cookies (what htmx sends in
    X-CSRFToken): bound to the session when signed in, else to the CSRF cookie's nonce.
    The bench knows TEND_SECRET_KEY, so it computes it as Tend does."""
    cookies = dict(known)
    jar: SimpleCookie = SimpleCookie()
    for value in set_cookies:
        jar.load(value)
    cookies.update((key, morsel.value) for key, morsel in jar.items())
    return csrf.token_for(
        keys.secret_key, cookies.get(TEND_SESSION_COOKIE), cookies.get(TEND_CSRF_COOKIE)
    )


def seed_scenario(scenario: Scenario, db: BenchDatabase, keys: BenchKeys) -> Access:
    if scenario.seed is None:
        return Access()
    say(f"[{scenario.name}] seeding")
    access = asyncio.run(scenario.seed(db, keys)) or Access()
    asyncio.run(harness.analyze(db))
    if access.note:
        say(f"[{scenario.name}] {access.note}")
    return access


def run_scenario(
    scenario: Scenario,
    access: Access,
    tend: harness.Target,
    baseline: harness.Target,
    db: BenchDatabase,
    args: argparse.Namespace,
    keys: BenchKeys,
) -> report.ScenarioResult:
    headers, same_page = prepare(scenario, access, tend, baseline, args, keys)
    tend_path, baseline_path = paths(scenario, access)
    targets = ((baseline, baseline_path), (tend, tend_path))
    results = {target.name: report.TargetResult(target.name) for target, _ in targets}

    def load(target: harness.Target, path: str, duration: str) -> harness.Measurement:
        env = access.wrk_env(target.name) if access.wrk_env else {}
        people = access.rotate.get(target.name)
        if people:
            # Each person's headers: the checked request's, with the first person's value
            # (a session token, a user id) replaced by theirs.
            own = [h for h in headers[target.name] if people[0] in h]
            env["BENCH_ROTATE"] = "\n".join(
                "\t".join(h.replace(people[0], value) for h in own) for value in people
            )
        return harness.run_wrk(
            target,
            path,
            connections=args.connections,
            threads=args.threads,
            duration=duration,
            headers=headers[target.name],
            expect=scenario.expect,
            expect_counts=scenario.expect_counts,
            script=harness.REPO / "bench" / scenario.wrk_script,
            env=env,
        )

    for target, path in targets:
        say(f"[{scenario.name}] warm-up {target.name} ({args.warmup})")
        load(target, path, args.warmup)
    # Alternating, so drift on a shared machine (other processes, the database's own
    # caches, CPU frequency) falls on both targets rather than on whichever ran second.
    for number in range(1, args.rounds + 1):
        for target, path in targets:
            waits = harness.DatabaseWaits(db.admin_url, db.name, APPLICATION_NAMES[target.name])
            with harness.OtherLoad((tend, baseline), db.name) as other, waits:
                measurement = load(target, path, args.duration)
            measurement = dataclasses.replace(
                measurement, other_load=other.share, db_sessions=waits.average()
            )
            results[target.name].rounds.append(measurement)
            say(
                f"[{scenario.name}] round {number}/{args.rounds} {target.name:8} "
                f"{measurement.requests_per_second:8.0f} req/s  p50 {measurement.p50:6.2f} ms  "
                f"p99 {measurement.p99:6.2f} ms  connections per worker "
                f"{report.split(measurement)}  other load {report.percent(measurement.other_load)}"
                + ("" if measurement.clean else "  ! " + "; ".join(measurement.problems()))
            )
    return report.ScenarioResult(
        name=scenario.name,
        description=scenario.description,
        baseline=results[baseline.name],
        tend=results[tend.name],
        same_page=same_page,
        patients=scenario.patients,
        seed_note=access.note,
        expect_counts=scenario.expect_counts,
        history_days=scenario.history_days,
        method=scenario.method,
    )


def run_login(
    db: BenchDatabase, keys: BenchKeys, tend: harness.Target, args: argparse.Namespace
) -> login.LoginResult:
    say(f"[{LOGIN}] seeding {args.login_accounts} accounts (argon2id at Tend's parameters)")
    tenant = asyncio.run(seed.login_tenant(db.owner_url, keys, args.login_accounts))
    emails = [a.email for a in tenant.accounts]
    hashes = asyncio.run(seed.password_hashes(db.owner_url, emails))
    # Every sign-in comes from 127.0.0.1, one address: see seed.open_rate_limit.
    key = "signin:127.0.0.1"
    asyncio.run(seed.open_rate_limit(db.owner_url, key, minutes=5))
    try:
        say(
            f"[{LOGIN}] {login.IDLE_SECONDS:g}s idle probes, {args.login_rate:g}/s for "
            f"{args.login_seconds:g}s, then a burst of {args.login_burst}"
        )
        result = asyncio.run(
            login.run(
                tend.base_url,
                tenant,
                rate=args.login_rate,
                seconds=args.login_seconds,
                burst=args.login_burst,
            )
        )
    finally:
        counted = asyncio.run(seed.close_rate_limit(db.owner_url, key))
    result.counted_by_rate_limit = counted
    after = asyncio.run(seed.password_hashes(db.owner_url, emails))
    result.rehashed = sum(1 for email in emails if after.get(email) != hashes.get(email))
    posts = sum(p.planned for p in result.phases)
    if counted != posts:
        result.problems.append(f"the sign-in rate limit counted {counted} of {posts} sign-ins")
    if result.rehashed:
        result.problems.append(f"{result.rehashed} passwords were rehashed by Tend")
    for phase in result.phases:
        say(
            f"[{LOGIN}] {phase.name:14} POST /login p50 {phase.posts.stat('p50'):7.1f} ms  "
            f"p95 {phase.posts.stat('p95'):7.1f} ms  /healthz p50 {phase.probes.stat('p50'):6.1f}"
            f" ms  p95 {phase.probes.stat('p95'):6.1f} ms  max {phase.probes.stat('max'):6.1f} ms"
        )
    return result


def count_round_trips(
    db: BenchDatabase, keys: BenchKeys, access: Access, scratch: Path
) -> report.RoundTrips:
    """In a process of its own, with Tend's environment (bench/round_trips.py)."""
    say("[round trips] one patient-list request, Tend and baseline, in-process")
    spec = {
        "app_url": db.app_url,
        "path": "/patients",
        "tend_cookies": dict(access.tend_cookies),
        "baseline_headers": dict(
            (name.strip(), value.strip())
            for name, _, value in (h.partition(":") for h in access.baseline_headers)
        ),
    }
    env = tend_env(db, scratch / "round-trips-data", keys)
    result = subprocess.run(
        [sys.executable, "-m", "bench.round_trips"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=harness.REPO,
        env=env,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        msg = f"counting round trips failed:\n{result.stderr[-3000:]}"
        raise RuntimeError(msg)
    counted = report.RoundTrips.from_json(json.loads(result.stdout.strip().splitlines()[-1]))
    for line in counted.lines():
        say(f"[round trips] {line}")
    return counted


def run(args: argparse.Namespace, argv: list[str], scratch: Path) -> int:
    todo = plan(args)
    OUT.mkdir(exist_ok=True)
    load_before = report.load_average()
    keys = new_bench_keys()
    results: list[report.ScenarioResult] = []
    login_result: login.LoginResult | None = None
    round_trips: report.RoundTrips | None = None
    with contextlib.ExitStack() as stack:
        stack.enter_context(_restoring_sigint())
        try:
            postgres = stack.enter_context(harness.postgres(args.database_url, scratch / "pg"))
            say(f"PostgreSQL {postgres.version}: {postgres.description}")
            db = stack.enter_context(harness.bench_database(postgres.admin_url))
            say(f"database {db.name} created and migrated")
            tend = stack.enter_context(
                harness.serve(
                    "Tend",
                    "app.asgi:create_app",
                    tend_env(db, scratch / "data", keys),
                    args.workers,
                    OUT / "tend.log",
                )
            )
            baseline = stack.enter_context(
                harness.serve(
                    "baseline",
                    "bench.baseline_app:create_app",
                    {
                        **os.environ,
                        "DATABASE_URL": db.app_url,
                        "TEND_MASTER_KEY": keys.master_key,
                    },
                    args.workers,
                    OUT / "baseline.log",
                )
            )
            say(f"Tend on {tend.base_url}, baseline on {baseline.base_url}")
            accesses: dict[str, Access] = {}
            for scenario in todo.scenarios:
                accesses[scenario.name] = seed_scenario(scenario, db, keys)
                results.append(
                    run_scenario(scenario, accesses[scenario.name], tend, baseline, db, args, keys)
                )
            if todo.login:
                login_result = run_login(db, keys, tend, args)
            if todo.round_trips:
                if ROUND_TRIP_SCENARIO not in accesses:
                    accesses[ROUND_TRIP_SCENARIO] = seed_scenario(
                        SCENARIOS[ROUND_TRIP_SCENARIO], db, keys
                    )
                round_trips = count_round_trips(db, keys, accesses[ROUND_TRIP_SCENARIO], scratch)
        finally:
            # A second Ctrl-C while stopping must not leave servers or the database behind.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        say("servers stopped, database dropped")

    settings = report.RunSettings(
        connections=args.connections,
        threads=args.threads,
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        workers=args.workers,
        headers=tuple(args.header),
        returning_browser=not args.first_visit,
    )
    machine = report.machine_facts(
        postgres.version, postgres.description, harness.wrk_version(), load_before
    )
    command = shlex.join(["python", "-m", "bench", *argv])
    section = report.render(results, settings, machine, command, login_result, round_trips)
    print()
    print(section)
    (OUT / "last.json").write_text(
        json.dumps(
            {
                "settings": dataclasses.asdict(settings),
                "machine": machine,
                "results": [dataclasses.asdict(r) for r in results],
                "login": dataclasses.asdict(login_result) if login_result else None,
                "round_trips": dataclasses.asdict(round_trips) if round_trips else None,
            },
            indent=2,
        )
    )
    if args.write:
        report.append_results(section)
        say(f"appended to {report.RESULTS}")
    problems = [p for r in results for p in r.problems]
    problems += login_result.problems if login_result else []
    if problems:
        say("NOT CLEAN: " + "; ".join(problems))
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    scratch = Path(tempfile.mkdtemp(prefix="tend-bench-"))
    try:
        return run(args, argv, scratch)
    except (KeyboardInterrupt, Stopped) as exc:
        say("interrupted: servers stopped, bench database dropped")
        return 128 + (exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 2
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
