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

    @property
    def ratio(self) -> float:
        base = self.baseline.median("requests_per_second")
        return self.tend.median("requests_per_second") / base if base else float("nan")

    @property
    def problems(self) -> list[str]:
        return [f"{t.name}: {p}" for t in (self.baseline, self.tend) for p in t.problems]


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
    return lines


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


def render(
    results: list[ScenarioResult], settings: RunSettings, machine: dict[str, str], command: str
) -> str:
    now = datetime.now(UTC)
    lines = [
        f"## {now:%Y-%m-%d %H:%M} UTC — {machine['CPU']}, {machine['CPUs (nproc)']} CPUs",
        "",
        f"`{command}` — {settings_line(settings)}.",
        "",
        table(results),
        "",
        "Checks:",
        "",
        *(f"- {line}" for line in checks(results)),
        "",
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
