"""`python -m bench`: Tend and the baseline side by side under the same load (README.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from bench import harness, report
from bench.scenarios import SCENARIOS, BenchDatabase, Scenario

OUT = Path(__file__).resolve().parent / "out"
# Litestar's CSRF token: 64 random hex digits and a 64-digit HMAC.
CSRF_TOKEN = re.compile(r"\b[0-9a-f]{128}\b")
DURATION = re.compile(r"^\d+(\.\d+)?[smh]?$")


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
        choices=sorted(SCENARIOS),
        help="a scenario to run (repeatable; default: all)",
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
        help="send no cookies: every request is a browser's first (default: a returning "
        "browser, sending back the cookies its first request was given)",
    )
    parser.add_argument(
        "--write", action="store_true", help="append the results to bench/RESULTS.md"
    )
    args = parser.parse_args(argv)
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    if args.rounds < 1 or args.workers < 1:
        parser.error("--rounds and --workers must be at least 1")
    return args


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


def tend_env(db: BenchDatabase, data_dir: Path) -> dict[str, str]:
    """Tend's environment: the app role, a fresh secret key, a throwaway data directory.

    Keys Tend has no variable for here are generated into the data directory, as in
    development, so a new key Tend starts requiring does not break the benchmark.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEND_")}
    env.pop("DATABASE_OWNER_URL", None)
    env.update(
        DATABASE_URL=db.app_url,
        TEND_SECRET_KEY=secrets.token_urlsafe(48),
        TEND_DATA_DIR=str(data_dir),
    )
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


def prepare(
    scenario: Scenario, tend: harness.Target, baseline: harness.Target, args: argparse.Namespace
) -> tuple[list[str], str]:
    """The headers the load sends, and how the two pages compare; fails on a broken page."""
    headers = list(args.header)
    if not args.first_visit:
        # What the first visit sets (Tend's CSRF cookie) a browser sends on every later one.
        cookies: list[str] = []
        for target, path in ((tend, scenario.tend_path), (baseline, scenario.baseline_path)):
            cookies += harness.fetch(target.url(path), headers)[2]
        cookie = harness.cookie_header(cookies)
        if cookie:
            headers.append(cookie)
    bodies = []
    for target, path in ((tend, scenario.tend_path), (baseline, scenario.baseline_path)):
        status, body, _ = harness.fetch(target.url(path), headers)
        if status != 200 or scenario.expect not in body:
            msg = (
                f"{scenario.name}: {target.name} {path} answered {status} without "
                f"{scenario.expect!r}:\n{body[:2000]}\n{target.name} log:\n"
                f"{harness.log_tail(target.log)}"
            )
            raise RuntimeError(msg)
        bodies.append(body)
    return headers, compare_pages(*bodies)


def run_scenario(
    scenario: Scenario,
    db: BenchDatabase,
    tend: harness.Target,
    baseline: harness.Target,
    args: argparse.Namespace,
) -> report.ScenarioResult:
    if scenario.seed is not None:
        say(f"[{scenario.name}] seeding")
        asyncio.run(scenario.seed(db))
        asyncio.run(harness.analyze(db))
    headers, same_page = prepare(scenario, tend, baseline, args)
    targets = ((baseline, scenario.baseline_path), (tend, scenario.tend_path))
    results = {target.name: report.TargetResult(target.name) for target, _ in targets}

    def load(target: harness.Target, path: str, duration: str) -> harness.Measurement:
        return harness.run_wrk(
            target,
            path,
            connections=args.connections,
            threads=args.threads,
            duration=duration,
            headers=headers,
            expect=scenario.expect,
        )

    for target, path in targets:
        say(f"[{scenario.name}] warm-up {target.name} ({args.warmup})")
        load(target, path, args.warmup)
    # Alternating, so drift on a shared machine (other processes, the database's own
    # caches, CPU frequency) falls on both targets rather than on whichever ran second.
    for number in range(1, args.rounds + 1):
        for target, path in targets:
            with harness.OtherLoad((tend, baseline), db.name) as other:
                measurement = load(target, path, args.duration)
            measurement = dataclasses.replace(measurement, other_load=other.share)
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
    )


def run(args: argparse.Namespace, argv: list[str], scratch: Path) -> int:
    scenarios = [SCENARIOS[name] for name in (args.scenario or SCENARIOS)]
    OUT.mkdir(exist_ok=True)
    load_before = report.load_average()
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
                    tend_env(db, scratch / "data"),
                    args.workers,
                    OUT / "tend.log",
                )
            )
            baseline = stack.enter_context(
                harness.serve(
                    "baseline",
                    "bench.baseline_app:create_app",
                    {**os.environ, "DATABASE_URL": db.app_url},
                    args.workers,
                    OUT / "baseline.log",
                )
            )
            say(f"Tend on {tend.base_url}, baseline on {baseline.base_url}")
            results = [run_scenario(s, db, tend, baseline, args) for s in scenarios]
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
    section = report.render(results, settings, machine, command)
    print()
    print(section)
    (OUT / "last.json").write_text(
        json.dumps(
            {
                "settings": dataclasses.asdict(settings),
                "machine": machine,
                "results": [dataclasses.asdict(r) for r in results],
            },
            indent=2,
        )
    )
    if args.write:
        report.append_results(section)
        say(f"appended to {report.RESULTS}")
    problems = [p for r in results for p in r.problems]
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
