"""Where one dose POST's time goes in Tend, in-process, one request at a time.

`python -m bench.profile_dose [--requests 200] [--pyinstrument]` makes a throwaway bench
database (as `python -m bench` does), seeds the dose scenario's data
(seed.carer_with_dose_rounds: medicines given every hour, none recorded), builds Tend
(`app.asgi.create_app`) in this process with the run's keys, loads the Today page once
(over https, so the session cookie is `__Host-tend_session`), computes the session-bound
CSRF token with the run's secret key as Tend does (app/lib/csrf.py), and posts
`POST /patients/{id}/medicines/dose` (htmx) through httpx's ASGI transport, one request
at a time, each a dose nobody recorded yet (the bench's own order: one medicine after
another, an hour further back each round of them). It times the parts by wrapping, in
this process only, the functions the controller calls (app code is unchanged), and
counts the database round trips on the wire (bench/round_trips.py's recorder). Each
figure is the median over the requests, after warm-up requests; the client's own cost is
in the total. `--pyinstrument` prints a pyinstrument profile of the measured requests
instead of the wrappers' split.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from app.lib import cookies, csrf, session_tokens
from bench import harness, seed
from bench.round_trips import WireRecorder, running
from bench.scenarios import BenchDatabase
from bench.seed import new_bench_keys

WARM = 20
logging.getLogger("httpx").setLevel(logging.WARNING)
MEDICINES = 16
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
    from app.domain.medications.controllers import _doses, _shared
    from app.domain.medications.doses import DoseService

    _shared.chosen_patient = timed("patient check and name", _shared.chosen_patient)
    if hasattr(_doses, "patient_and_locked_medicine"):
        _doses.patient_and_locked_medicine = timed(
            "patient and medicine (locked)", _doses.patient_and_locked_medicine
        )
    for name in dir(DoseService):
        if name.startswith("__") or not callable(getattr(DoseService, name)):
            continue
        method = getattr(DoseService, name)
        if asyncio.iscoroutinefunction(method):
            setattr(DoseService, name, timed(f"DoseService.{name}", method))
    guards.open_session = timed("session check (tend_open_session)", guards.open_session)
    _doses.render = timed_sync("render (Jinja)", _doses.render)
    jinja2.Template.render = timed_sync("  of which Template.render", jinja2.Template.render)  # type: ignore[method-assign]
    for method in ("execute", "scalars", "scalar", "flush", "commit"):
        setattr(
            AsyncSession,
            method,
            timed(f"  AsyncSession.{method}", getattr(AsyncSession, method)),
        )


async def profile(db: BenchDatabase, requests: int, use_pyinstrument: bool) -> None:
    keys = new_bench_keys()
    found = await seed.carer_with_dose_rounds(db.owner_url, keys, "Profile dose", MEDICINES)
    await harness.analyze(db)
    os.environ.update(keys.env())
    from app.asgi import create_app
    from app.config import DatabaseSettings, Settings

    recorder = WireRecorder()
    recorder.install()
    if not use_pyinstrument:
        instrument()
    profiler = None
    if use_pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled", interval=0.0002)
    start = int(datetime.now(UTC).timestamp()) // 3600 * 3600 - 3600
    medicines = [str(i) for i in found.medicine_ids]
    path = f"/patients/{found.patient_id}/medicines/dose"
    with tempfile.TemporaryDirectory(prefix="tend-bench-profile-") as data_dir:
        settings = Settings(database=DatabaseSettings(url=db.app_url), data_dir=Path(data_dir))
        app = create_app(settings)
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
                page = await client.get(f"/patients/{found.patient_id}/today")
                # Signed in, the CSRF token is bound to the session (app/lib/csrf.py).
                token = csrf.token_for(keys.secret_key, found.token, None)
                if page.status_code != 200 or not token or token not in page.text:
                    msg = f"no session-bound CSRF token on the Today page ({page.status_code})"
                    raise RuntimeError(msg)
                headers = {
                    "HX-Request": "true",
                    "X-CSRFToken": token,
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                for number in range(WARM + requests):
                    moment = datetime.fromtimestamp(
                        start - 3600 * (number // len(medicines) + 1), UTC
                    )
                    body = urlencode(
                        {
                            "medication_id": medicines[number % len(medicines)],
                            "scheduled_for": moment.isoformat(),
                            "outcome": "given",
                            "note": "",
                            # Given at its time: a late dose with no time given is asked about.
                            "given_time": moment.strftime("%H:%M"),
                        }
                    )
                    spent.clear()
                    if profiler and number == WARM:
                        profiler.start()
                    started = time.perf_counter()
                    with recorder.record():
                        response = await client.post(path, content=body, headers=headers)
                    took = time.perf_counter() - started
                    if response.status_code != 200 or "dose--given" not in response.text:
                        msg = f"{path} answered {response.status_code}: {response.text[:300]}"
                        raise RuntimeError(msg)
                    if number >= WARM:
                        totals.append(took)
                        trips.append(len(recorder.trips))
                        for name, seconds in spent.items():
                            parts[name].append(seconds)
        if profiler:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        print(f"Dose POST (htmx): {requests} requests after {WARM} warm")
        print(f"  whole request (median): {1000 * statistics.median(totals):.2f} ms")
        print(f"  database round trips per request: {statistics.median(trips):.0f}")
        ordered = sorted(parts.items(), key=lambda item: -statistics.median(item[1]))
        for name, values in ordered:
            print(f"  {name}: {1000 * statistics.median(values):.2f} ms")
        for line in recorder.trips:
            print(f"    trip: {line.label(120)}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_dose")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()
    with harness.bench_database(harness.LOCAL_ADMIN_URL) as db:
        asyncio.run(profile(db, args.requests, args.pyinstrument))
    return 0


if __name__ == "__main__":
    sys.exit(main())
