"""What a run found: medians per target, the Tend/baseline ratio, the machine, RESULTS.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.harness import REPO, Measurement
from bench.login import PROBE_INTERVAL, LoginResult
from bench.round_trips import Trip

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

RESULTS_HEADER = """\
# Tend benchmark results

Each section is one run of `python -m bench --write` (see README.md): Tend and the
baseline (bare Litestar, raw asyncpg, the same Jinja templates) served side by side, each
by uvicorn with 2 workers, on one fresh, migrated database, driven by wrk with the same
load, alternately, several rounds each; the figures are the medians of the rounds.

Read the ratio, not the absolute figures. The load generator, both apps and PostgreSQL
share the same few cores, so the absolute numbers say as much about the machine and its
neighbours as about Tend. The Tend/baseline ratio within one run is what to compare
across runs: it is what Tend's layers cost on top of the least the same page can cost.
Each run lists, round by round, the share of the CPU other programs took and how
uvicorn spread wrk's connections over its workers: a round with much other load, or
with all connections on one worker, is a noisy one.
"""


@dataclass
class TargetResult:
    name: str
    rounds: list[Measurement] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(m, attribute) for m in self.rounds)

    @property
    def problems(self) -> list[str]:
        return [p for m in self.rounds for p in m.problems()]


@dataclass
class ScenarioResult:
    name: str
    description: str
    baseline: TargetResult
    tend: TargetResult
    same_page: str
    """How Tend's page compared with the baseline's, byte for byte (CSRF token aside)."""
    patients: int | None = None
    """Patients in the scenario's tenant (the patient-list scenarios)."""
    seed_note: str = ""
    expect_counts: tuple[tuple[str, int], ...] = ()
    history_days: int | None = None
    """Days of record of the Today page's patient (the Today scenarios)."""
    method: str = "GET"

    @property
    def ratio(self) -> float:
        base = self.baseline.median("requests_per_second")
        return self.tend.median("requests_per_second") / base if base else float("nan")

    @property
    def problems(self) -> list[str]:
        return [f"{t.name}: {p}" for t in (self.baseline, self.tend) for p in t.problems]


@dataclass
class RoundTrips:
    """The database round trips of one patient-list request (bench/round_trips.py)."""

    tend_first: list[Trip]
    tend_steady: list[Trip]
    baseline_first: list[Trip]
    baseline_steady: list[Trip]

    @classmethod
    def from_json(cls, data: dict[str, dict[str, list[dict[str, str]]]]) -> RoundTrips:
        def trips(side: str, which: str) -> list[Trip]:
            return [Trip(**t) for t in data[side][which]]

        return cls(
            trips("Tend", "first"),
            trips("Tend", "steady"),
            trips("baseline", "first"),
            trips("baseline", "steady"),
        )

    @staticmethod
    def describe(trips: list[Trip], width: int = 60) -> str:
        return f"round trips: {len(trips)} ({' | '.join(t.label(width) for t in trips)})"

    def lines(self) -> list[str]:
        return [
            f"Tend: {self.describe(self.tend_steady)}",
            f"baseline: {self.describe(self.baseline_steady)}",
        ]

    def markdown(self) -> list[str]:
        """Each app's round trips, one statement a line."""
        lines = []
        for name, trips in (("Tend", self.tend_steady), ("baseline", self.baseline_steady)):
            lines.append(f"- {name}: round trips: {len(trips)}")
            lines += [f"  {n}. `{t.label(200)}`" for n, t in enumerate(trips, start=1)]
        return lines


@dataclass(frozen=True)
class RunSettings:
    connections: int
    threads: int
    duration: str
    warmup: str
    rounds: int
    workers: int
    headers: tuple[str, ...]
    returning_browser: bool


# Machine -------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _git_commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    if result.returncode != 0:
        return "no commit yet"
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return result.stdout.strip() + (" + uncommitted changes" if dirty else "")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine_facts(
    postgres_version: str, postgres_description: str, wrk: str, load_before: str
) -> dict[str, str]:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    versions = ", ".join(
        f"{package} {metadata.version(package)}"
        for package in ("litestar", "uvicorn", "sqlalchemy", "advanced-alchemy", "asyncpg")
    )
    return {
        "CPUs (nproc)": str(available or os.cpu_count()),
        "CPU": _cpu_model(),
        "memory": _memory(),
        "system": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL": f"{postgres_version} ({postgres_description})",
        "load generator": wrk,
        "packages": versions,
        "Tend commit": _git_commit(),
        # Whatever else runs on the machine competes for the same cores: a busy start or
        # end warns that this run's figures (less so its ratio) are noisier than usual.
        "load average (1/5/15 min) at start, at end": f"{load_before}; {load_average()}",
    }


# Output --------------------------------------------------------------------------------


def _row(cells: list[str], widths: list[int]) -> str:
    cells_widths = enumerate(zip(cells, widths, strict=True))
    padded = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in cells_widths]
    return "| " + " | ".join(padded) + " |"


def table(results: list[ScenarioResult]) -> str:
    """A Markdown table that also reads as plain text."""
    head = ["scenario", "target", "req/s", "req/s range", "p50 ms", "p95 ms", "p99 ms",
            "bytes/resp", "Tend/baseline req/s"]  # fmt: skip
    rows = []
    for result in results:
        for target in (result.baseline, result.tend):
            rps = [m.requests_per_second for m in target.rounds]
            rows.append(
                [
                    result.name,
                    target.name,
                    f"{target.median('requests_per_second'):.0f}",
                    f"{min(rps):.0f}–{max(rps):.0f}",
                    f"{target.median('p50'):.2f}",
                    f"{target.median('p95'):.2f}",
                    f"{target.median('p99'):.2f}",
                    f"{target.median('bytes_per_response'):.0f}",
                    f"{result.ratio:.2f}" if target is result.tend else "",
                ]
            )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    separator = (
        "|"
        + "|".join(
            ("-" * (w + 2)) if i < 2 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([_row(head, widths), separator, *(_row(r, widths) for r in rows)])


def split(measurement: Measurement) -> str:
    counts = measurement.connections_per_worker
    return "/".join(map(str, counts)) if counts else "?"


def percent(share: float | None) -> str:
    return "?" if share is None else f"{share:.0%}"


def checks(results: list[ScenarioResult]) -> list[str]:
    lines = []
    for result in results:
        problems = result.problems
        status = "; ".join(problems) if problems else "no non-2xx responses, no socket errors"
        if result.expect_counts:
            wanted = ", ".join(f"{text!r} exactly {n} times" for text, n in result.expect_counts)
            status += f"; every 2xx body checked for {wanted}"
            if not problems:
                status += " (all did)"
        if result.seed_note:
            lines.append(f"{result.name}: seed: {result.seed_note}")
        splits = "; ".join(
            f"{t.name} {', '.join(split(m) for m in t.rounds)}"
            for t in (result.baseline, result.tend)
        )
        lines.append(f"{result.name}: {status}; page vs baseline: {result.same_page}")
        others = "; ".join(
            f"{t.name} {', '.join(percent(m.other_load) for m in t.rounds)}"
            for t in (result.baseline, result.tend)
        )
        pairs = ", ".join(
            f"{t.requests_per_second / b.requests_per_second:.2f}"
            for b, t in zip(result.baseline.rounds, result.tend.rounds, strict=True)
        )
        lines.append(f"{result.name}: Tend/baseline req/s, round by round: {pairs}")
        lines.append(f"{result.name}: connections per uvicorn worker, round by round: {splits}")
        lines.append(
            f"{result.name}: share of the machine's CPU used by other programs (and steal), "
            f"round by round: {others}"
        )
        for target in (result.baseline, result.tend):
            sessions = db_sessions(target)
            if sessions:
                lines.append(
                    f"{result.name}: {target.name}'s busy database sessions at an average "
                    f"moment of the rounds: {sessions}"
                )
    return lines


def db_sessions(target: TargetResult) -> str:
    """The rounds' DatabaseWaits averages, averaged over the rounds."""
    rounds = [m.db_sessions for m in target.rounds if m.db_sessions is not None]
    if not rounds:
        return ""
    kinds: dict[str, float] = {}
    for averages in rounds:
        for kind, value in averages.items():
            kinds[kind] = kinds.get(kind, 0.0) + value / len(rounds)
    shown = sorted(kinds.items(), key=lambda item: -item[1])
    return ", ".join(f"{value:.1f} {kind}" for kind, value in shown if value >= 0.05) or "none"


def settings_line(settings: RunSettings) -> str:
    visitor = (
        "a returning browser (sends back the cookies its first visit set)"
        if settings.returning_browser
        else "a first visit each time (no cookies)"
    )
    extra = f", extra headers {list(settings.headers)}" if settings.headers else ""
    rounds = f"{settings.rounds} round{'' if settings.rounds == 1 else 's'}"
    return (
        f"{settings.connections} connections, {settings.threads} wrk threads, "
        f"{rounds} × {settings.duration} per target after a {settings.warmup} warm-up,"
        f" baseline and Tend alternating; uvicorn with {settings.workers} workers "
        f"each; every request {visitor}{extra}"
    )


def _markdown(head: list[str], rows: list[list[str]], left: int = 1) -> str:
    """A Markdown table that also reads as plain text: the first `left` columns are text."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        padded = [c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in
                  enumerate(zip(cells, widths, strict=True))]  # fmt: skip
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        ("-" * (w + 2)) if i < left else ("-" * (w + 1) + ":") for i, w in enumerate(widths)
    ) + "|"  # fmt: skip
    return "\n".join([line(head), rule, *(line(r) for r in rows)])


def _ms(value: float) -> str:
    return f"{value:.1f}"


def scale_rows(results: list[ScenarioResult]) -> list[ScenarioResult]:
    return sorted((r for r in results if r.patients), key=lambda r: r.patients or 0)


def scale_table(results: list[ScenarioResult]) -> str:
    head = ["patients in tenant", "Tend p95 ms", "baseline p95 ms", "Tend p50 ms",
            "baseline p50 ms", "Tend req/s", "baseline req/s", "Tend/baseline req/s"]  # fmt: skip
    rows = [
        [
            f"{r.patients:,} ({r.name})",
            f"{r.tend.median('p95'):.2f}",
            f"{r.baseline.median('p95'):.2f}",
            f"{r.tend.median('p50'):.2f}",
            f"{r.baseline.median('p50'):.2f}",
            f"{r.tend.median('requests_per_second'):.0f}",
            f"{r.baseline.median('requests_per_second'):.0f}",
            f"{r.ratio:.2f}",
        ]
        for r in scale_rows(results)
    ]
    return _markdown(head, rows)


def login_tables(result: LoginResult) -> list[str]:
    head = ["phase", "sign-ins", "took s", "sign-ins/s", "POST p50 ms", "POST p95 ms",
            "POST p99 ms", "POST max ms", "GET /login p50 ms", "outcomes"]  # fmt: skip
    rows = []
    for phase in result.phases:
        if not phase.planned or not phase.measured:
            continue
        outcomes = ", ".join(f"{v} {k}" for k, v in sorted(phase.posts.outcomes.items()))
        rows.append(
            [
                phase.name,
                str(phase.planned),
                f"{phase.seconds:.1f}",
                f"{phase.planned / phase.seconds:.1f}" if phase.seconds else "",
                _ms(phase.posts.stat("p50")),
                _ms(phase.posts.stat("p95")),
                _ms(phase.posts.stat("p99")),
                _ms(phase.posts.stat("max")),
                _ms(phase.gets.stat("p50")),
                outcomes,
            ]
        )
    probe_head = ["GET /healthz probe", "probes", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    probe_rows = [
        [
            f"during {phase.name}" if phase.planned else phase.name,
            str(len(phase.probes.latencies)),
            _ms(phase.probes.stat("p50")),
            _ms(phase.probes.stat("p95")),
            _ms(phase.probes.stat("p99")),
            _ms(phase.probes.stat("max")),
        ]
        for phase in result.phases
        if phase.measured
    ]
    return [_markdown(head, rows, left=1), "", _markdown(probe_head, probe_rows)]


def _verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def targets(
    results: list[ScenarioResult],
    settings: RunSettings,
    round_trips: RoundTrips | None,
) -> list[str]:
    """The identity issue's targets, each with this run's figure."""
    lines = []
    by_name = {r.name: r for r in results}
    listing = by_name.get("patients")
    if listing is not None:
        lines.append(
            f"patient list, Tend/baseline throughput ≥ 0.75: {listing.ratio:.2f} — "
            f"{_verdict(listing.ratio >= 0.75)}"
        )
        p95 = listing.tend.median("p95")
        load = f"{settings.connections} connections, {settings.workers} workers"
        standard = settings.connections == 16 and settings.workers == 2
        lines.append(
            f"patient list, Tend p95 < 30 ms at 16 connections on 2 workers: {p95:.1f} ms "
            f"({load}) — "
            + (_verdict(p95 < 30) if standard else "not comparable (other load settings)")
        )
    small, large = by_name.get("patients-1k"), by_name.get("patients-100k")
    if small is not None and large is not None:
        growth = large.tend.median("p95") / small.tend.median("p95")
        base_growth = large.baseline.median("p95") / small.baseline.median("p95")
        lines.append(
            f"patient list, Tend p95 at 100,000 patients within 1.2× of at 1,000: "
            f"{large.tend.median('p95'):.1f} / {small.tend.median('p95'):.1f} ms = "
            f"{growth:.2f}× — {_verdict(growth <= 1.2)} (baseline: {base_growth:.2f}×)"
        )
    lines += _today_targets(by_name, settings)
    if round_trips is not None:
        count = len(round_trips.tend_steady)
        lines.append(
            f"patient list, at most 3 database round trips per request: Tend {count}, "
            f"baseline {len(round_trips.baseline_steady)} — {_verdict(count <= 3)}"
        )
    return lines


def _today_targets(by_name: dict[str, ScenarioResult], settings: RunSettings) -> list[str]:
    """The Today and dose issue's targets, each with this run's figure."""
    lines = []
    standard = settings.connections == 16 and settings.workers == 2
    today = by_name.get("today")
    if today is not None:
        p95 = today.tend.median("p95")
        lines.append(
            f"Today (a year of record), Tend/baseline throughput ≥ 0.6: {today.ratio:.2f} — "
            f"{_verdict(today.ratio >= 0.6)}"
        )
        lines.append(
            f"Today (a year of record), Tend p95 < 40 ms at 16 connections on 2 workers: "
            f"{p95:.1f} ms — "
            + (_verdict(p95 < 40) if standard else "not comparable (other load settings)")
        )
    small, large = by_name.get("today-1m"), by_name.get("today-5y")
    if small is not None and large is not None:
        growth = large.tend.median("p95") / small.tend.median("p95")
        base_growth = large.baseline.median("p95") / small.baseline.median("p95")
        lines.append(
            f"Today, Tend p95 at 5 years of record within 1.2× of at 1 month: "
            f"{large.tend.median('p95'):.1f} / {small.tend.median('p95'):.1f} ms = "
            f"{growth:.2f}× — {_verdict(growth <= 1.2)} (baseline: {base_growth:.2f}×)"
        )
    dose = by_name.get("dose")
    if dose is not None:
        p95 = dose.tend.median("p95")
        lines.append(
            f"recording a dose (POST, htmx), Tend p95 < 30 ms: {p95:.1f} ms — "
            + (_verdict(p95 < 30) if standard else "not comparable (other load settings)")
            + f" (Tend/baseline throughput {dose.ratio:.2f})"
        )
    return lines


def login_warmup(result: LoginResult) -> int:
    return sum(p.planned for p in result.phases if not p.measured)


def login_checks(result: LoginResult) -> list[str]:
    lines = [
        f"sign-in: {result.accounts} accounts without MFA, rotated; passwords hashed with "
        f"argon2id {result.argon2_parameters} (Tend's production parameters; Tend started "
        "without TEND_ENV/TEND_TEST_CHEAP_ARGON2); one verify alone, in one thread of the "
        f"bench process: {result.argon2_ms:.1f} ms; {login_warmup(result)} unmeasured "
        "sign-ins first",
        f"sign-in: passwords rehashed by Tend during the run: {result.rehashed}",
        "sign-in: the per-address limit (30 a minute, app/domain/identity/controllers/"
        "_signin.py) would refuse most of the run's sign-ins, all from 127.0.0.1: the bench "
        "opened the limit's one-minute windows in `rate_limits` with a large negative count "
        "beforehand (as the owner role) and removed them after, so Tend still counted every "
        f"sign-in in its measured path ({result.counted_by_rate_limit} counted) and none "
        "was refused",
    ]
    lines += [f"sign-in: NOT CLEAN: {p}" for p in result.problems] or [
        "sign-in: every POST /login answered 303 to /today with a session cookie; every "
        "/healthz probe answered 200"
    ]
    return lines


def render(
    results: list[ScenarioResult],
    settings: RunSettings,
    machine: dict[str, str],
    command: str,
    login: LoginResult | None = None,
    round_trips: RoundTrips | None = None,
) -> str:
    now = datetime.now(UTC)
    lines = [
        f"## {now:%Y-%m-%d %H:%M} UTC — {machine['CPU']}, {machine['CPUs (nproc)']} CPUs",
        "",
    ]
    if results:
        lines += [f"`{command}` — {settings_line(settings)}.", "", table(results), ""]
    else:
        lines += [f"`{command}`", ""]
        lines += [f"- {r.name}: {r.description}" for r in results if r.description]
        lines.append("")
    if len(scale_rows(results)) > 1:
        lines += ["Patient list by size of the tenant (medians of the rounds):", ""]
        lines += [scale_table(results), ""]
    if login is not None:
        lines += [
            f"Sign-in (POST /login, right password, no MFA, real argon2id): {login.rate:g} "
            f"a second for {login.seconds:g} s, then a burst of {login.burst} at once; "
            f"GET /healthz every {1000 * PROBE_INTERVAL:.0f} ms on a new connection "
            "throughout, and for a few seconds with no load first:",
            "",
            *login_tables(login),
            "",
        ]
    if round_trips is not None:
        lines += [
            "Database round trips of one patient-list request (the fourth on a warm "
            "process), read from the wire:",
            "",
            *round_trips.markdown(),
            f"- first request of a fresh process: Tend {len(round_trips.tend_first)}, "
            f"baseline {len(round_trips.baseline_first)}",
            "",
        ]
    goals = targets(results, settings, round_trips)
    if goals:
        lines += ["Targets:", "", *(f"- {line}" for line in goals), ""]
    found = checks(results) + (login_checks(login) if login is not None else [])
    if found:
        lines += ["Checks:", "", *(f"- {line}" for line in found), ""]
    lines += [
        "Machine:",
        "",
        *(f"- {key}: {value}" for key, value in machine.items()),
        "",
    ]
    return "\n".join(lines)


def append_results(section: str, path: Path = RESULTS) -> None:
    """Add a run at the end, keeping every earlier one."""
    existing = path.read_text() if path.exists() else RESULTS_HEADER
    path.write_text(existing.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n")
