"""Where one Today request's time goes in Tend, in-process, one request at a time.

`python -m bench.profile_today [--days 365] [--requests 200]` makes a throwaway bench
database (as `python -m bench` does), seeds one patient's record of `--days` days
(seed.carer_with_history), builds Tend (`app.asgi.create_app`) in this process with the
run's keys, and sends `GET /patients/{id}/today` through httpx's ASGI transport, one
request at a time. It times each part of the page by wrapping, in this process only, the
functions TodayService calls (the module's names are rebound; app code is unchanged):
the patient check and name, the visit stamp, each card's builder, the audit event, the
session check, and Jinja's rendering; and it counts the database round trips on the wire
(bench/round_trips.py's recorder). The rest of a request (middleware, dependency
injection, BEGIN/COMMIT, the response) is what the parts do not cover. Each figure is the
median over the requests, after warm-up requests; the client's own cost is in the total.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from app.lib import cookies, session_tokens
from bench import harness, seed
from bench.round_trips import WireRecorder, running
from bench.scenarios import BenchDatabase
from bench.seed import new_bench_keys

WARM = 20
spent: dict[str, float] = defaultdict(float)


def timed(name: str, function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started

    return wrapper


def timed_sync(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started

    return wrapper


def instrument() -> None:
    import jinja2
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.domain.identity import guards
    from app.domain.today import services
    from app.domain.today.sections import Section

    services.chosen_patient = timed("patient check and name", services.chosen_patient)
    services.stamp_visit = timed("visit stamp", services.stamp_visit)
    services.record = timed("audit event (today.view)", services.record)
    services.SECTIONS = tuple(
        Section(s.module, s.template, timed(f"card: {s.module}", s.build))
        for s in services.SECTIONS
    )
    guards.open_session = timed("session check (tend_open_session)", guards.open_session)
    jinja2.Template.render = timed_sync("Jinja rendering", jinja2.Template.render)  # type: ignore[method-assign]
    # ORM statements (compile, round trip, rows to objects), wherever they are sent from.
    for method in ("execute", "scalars", "scalar"):
        setattr(
            AsyncSession,
            method,
            timed("  of which ORM statements", getattr(AsyncSession, method)),
        )


async def profile(db: BenchDatabase, days: int, requests: int) -> None:
    keys = new_bench_keys()
    if True:
        found, _ = await seed.carer_with_history(db.owner_url, keys, f"Profile {days}", days)
        await harness.analyze(db)
        os.environ.update(keys.env())
        from app.asgi import create_app
        from app.config import DatabaseSettings, Settings

        recorder = WireRecorder()
        recorder.install()
        instrument()
        with tempfile.TemporaryDirectory(prefix="tend-bench-profile-") as data_dir:
            settings = Settings(database=DatabaseSettings(url=db.app_url), data_dir=Path(data_dir))
            app = create_app(settings)
            path = f"/patients/{found.patient_id}/today"
            totals: list[float] = []
            parts: dict[str, list[float]] = defaultdict(list)
            trips: list[int] = []
            async with running(app):
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                async with httpx.AsyncClient(
                    transport=transport, base_url="https://testserver.local"
                ) as client:
                    # Over https Tend's cookies are `__Host-…` (app/lib/cookies.py).
                    client.cookies.set(
                        cookies.HOST_PREFIX + session_tokens.COOKIE,
                        found.token,
                        domain="testserver.local",
                    )
                    for number in range(WARM + requests):
                        spent.clear()
                        started = time.perf_counter()
                        with recorder.record():
                            response = await client.get(path)
                        took = time.perf_counter() - started
                        if (
                            response.status_code != 200
                            or 'id="today-note-list"' not in response.text
                        ):
                            msg = f"{path} answered {response.status_code}"
                            raise RuntimeError(msg)
                        if number >= WARM:
                            totals.append(took)
                            trips.append(len(recorder.trips))
                            for name, seconds in spent.items():
                                parts[name].append(seconds)
            print(f"Today page, {days} days of record: {requests} requests after {WARM} warm")
            print(f"  whole request (median): {1000 * statistics.median(totals):.2f} ms")
            print(f"  database round trips per request: {statistics.median(trips):.0f}")
            ordered = sorted(parts.items(), key=lambda item: -statistics.median(item[1]))
            for name, values in ordered:
                print(f"  {name}: {1000 * statistics.median(values):.2f} ms")
            for line in recorder.trips:
                print(f"    trip: {line.label(100)}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_today")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with harness.bench_database(harness.LOCAL_ADMIN_URL) as db:
        asyncio.run(profile(db, args.days, args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
