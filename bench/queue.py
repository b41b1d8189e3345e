"""The job queue: no-op jobs per second on two worker processes, and notify-to-start
latency (enqueue one job at a time on an idle queue; from the enqueue's commit to the
handler's first line).

    python -m bench.queue [--jobs 20000] [--samples 200] [--workers 2] [--write]

Needs a PostgreSQL it may create a database and roles in (`--database-url`, else
BENCH_DATABASE_URL, TEST_DATABASE_URL, or postgres@127.0.0.1:5432); the database is
dropped afterwards. Targets: at least 1,000 jobs/s, p95 latency under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from app.config import plain_url
from app.db import migrate
from app.db.provision import drop, provision

RESULTS = Path(__file__).with_name("RESULTS.md")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def worker_main(app_url: str, concurrency: int) -> None:
    """One bench worker: Tend's worker with a no-op and a latency entrypoint."""
    from pgqueuer import PgQueuer
    from pgqueuer.models import Job

    from app.domain.jobs.checks import Sessions
    from app.domain.jobs.worker import run_worker

    def extend(pgq: PgQueuer, sessions: Sessions) -> None:
        @pgq.entrypoint("noop")
        async def noop(job: Job) -> None:
            return None

        @pgq.entrypoint("latency")
        async def latency(job: Job) -> None:
            started = time.time()
            sent = json.loads(job.payload or b"0")
            assert pgq.queries is not None
            await pgq.queries.driver.execute(
                "INSERT INTO bench_queue.latency (sent, started) VALUES ($1, $2)", sent, started
            )

    asyncio.run(
        run_worker(
            app_url,
            concurrency=concurrency,
            extend=extend,
            ready=lambda: print("ready", flush=True),
        )
    )


async def _prepare(owner_url: str, app_role: str) -> None:
    connection = await asyncpg.connect(plain_url(owner_url))
    try:
        await connection.execute(
            f"""
            CREATE SCHEMA bench_queue;
            CREATE TABLE bench_queue.latency (sent float8, started float8);
            GRANT USAGE ON SCHEMA bench_queue TO "{app_role}";
            GRANT INSERT, SELECT ON bench_queue.latency TO "{app_role}";
            """
        )
    finally:
        await connection.close()


async def _throughput(app_url: str, jobs: int) -> float:
    from pgqueuer import Queries

    connection = await asyncpg.connect(plain_url(app_url))
    try:
        queries = Queries.from_asyncpg_connection(connection)
        # The clock includes enqueueing (1,000 a statement) while the workers already take
        # jobs: the figure is what the queue sustains end to end.
        started = time.perf_counter()
        for first in range(0, jobs, 1000):
            size = min(1000, jobs - first)
            await queries.enqueue(["noop"] * size, [None] * size, [0] * size)
        await _until_empty(connection, 0.05)
        return jobs / (time.perf_counter() - started)
    finally:
        await connection.close()


async def _latency(app_url: str, samples: int) -> list[float]:
    from pgqueuer import Queries

    connection = await asyncpg.connect(plain_url(app_url))
    try:
        queries = Queries.from_asyncpg_connection(connection)
        for _ in range(samples):
            # Timed from just before the enqueue (one autocommitted INSERT): its commit is
            # at most that round trip later, so the figure is an upper bound.
            await queries.enqueue("latency", json.dumps(time.time()).encode())
            await _until_empty(connection, 0.005)
            await asyncio.sleep(0.05)  # idle again before the next one
        rows = await connection.fetch("SELECT sent, started FROM bench_queue.latency")
        return [(row["started"] - row["sent"]) * 1000 for row in rows]
    finally:
        await connection.close()


async def _until_empty(connection: asyncpg.Connection, pause: float) -> None:
    """Poll: another process empties the queue, so there is no event to wait on here."""
    while await connection.fetchval("SELECT count(*) FROM pgqueuer") > 0:  # noqa: ASYNC110
        await asyncio.sleep(pause)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _start_workers(app_url: str, count: int, concurrency: int) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "DATABASE_URL": app_url}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.queue", "--worker", "--concurrency", str(concurrency)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for process in processes:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("a bench worker did not start")
    return processes


def _stop(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.queue", description=__doc__)
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--write", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(os.environ["DATABASE_URL"], args.concurrency)
        return 0

    admin_url = (
        args.database_url
        or os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or DEFAULT_URL
    )
    name = f"tend_bench_queue_{secrets.token_hex(4)}"
    app_role, owner_role = f"{name}_app", f"{name}_owner"
    urls = asyncio.run(provision(admin_url, name, owner_role, app_role))
    try:
        migrate.upgrade(urls.owner_url, app_role)
        asyncio.run(_prepare(urls.owner_url, app_role))
        workers = _start_workers(urls.app_url, args.workers, args.concurrency)
        try:
            asyncio.run(_throughput(urls.app_url, 1000))  # warm-up
            rate = asyncio.run(_throughput(urls.app_url, args.jobs))
            latencies = asyncio.run(_latency(urls.app_url, args.samples))
        finally:
            _stop(workers)
    finally:
        asyncio.run(drop(admin_url, name))
    report = _report(args, rate, latencies)
    print(report)
    if args.write:
        with RESULTS.open("a") as results:
            results.write("\n" + report)
    return 0


def _report(args: argparse.Namespace, rate: float, latencies: list[float]) -> str:
    p50, p95, p99 = (_percentile(latencies, q) for q in (0.5, 0.95, 0.99))
    cpus = os.cpu_count()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rate_met = "met" if rate >= 1000 else "**not met**"
    p95_met = "met" if p95 < 50 else "**not met**"
    machine = platform.processor() or platform.machine()
    command = (
        f"python -m bench.queue --jobs {args.jobs} --samples {args.samples} "
        f"--workers {args.workers} --concurrency {args.concurrency}"
    )
    lines = [
        f"## {when} — queue (pgqueuer), {machine}, {cpus} CPUs",
        "",
        f"`{command}` — {args.workers} worker processes (Tend's worker with a no-op "
        f"entrypoint added), each taking up to {args.concurrency} jobs at once; PostgreSQL "
        "on the same machine.",
        "",
        "| measure | figure | target |",
        "|---|---:|---|",
        f"| no-op jobs per second, enqueue to done ({args.jobs} jobs) "
        f"| {rate:,.0f} | ≥ 1,000: {rate_met} |",
        f"| notify-to-start p50 ms ({len(latencies)} jobs, one at a time, idle queue) "
        f"| {p50:.1f} | |",
        f"| notify-to-start p95 ms | {p95:.1f} | < 50: {p95_met} |",
        f"| notify-to-start p99 ms | {p99:.1f} | |",
        f"| notify-to-start mean ms | {statistics.fmean(latencies):.1f} | |",
        "",
        "Latency is timed from just before the enqueue's INSERT (autocommitted) to the "
        "handler's first line, so it includes the INSERT's round trip: an upper bound.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
