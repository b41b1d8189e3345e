"""The scenarios: which page to load on Tend and on the baseline, and the data it needs.

A new scenario is one `register(Scenario(...))` here plus, when the baseline has no page
for it yet, one handler in baseline_app.py that does what Tend's page does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchDatabase:
    """The run's throwaway database, as each of its roles reaches it."""

    admin_url: str
    owner_url: str
    """Owns the tables and is not bound by row-level security: what bulk seeding uses."""
    app_url: str
    """What Tend and the baseline serve requests as."""
    name: str


Seed = Callable[[BenchDatabase], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    tend_path: str
    baseline_path: str
    expect: str
    """Text every response must contain: a page that renders but says the wrong thing (an
    error page with status 200, an empty list) must not pass for a fast one."""
    seed: Seed | None = None
    """Runs just before the scenario, after the earlier scenarios' seeds, then ANALYZE.
    Seeds accumulate over a run, so a scenario seeds data of its own (its own tenant)
    rather than assuming an empty database."""
    description: str = ""


SCENARIOS: dict[str, Scenario] = {}


def register(scenario: Scenario) -> Scenario:
    if scenario.name in SCENARIOS:
        msg = f"scenario {scenario.name!r} is registered twice"
        raise ValueError(msg)
    SCENARIOS[scenario.name] = scenario
    return scenario


register(
    Scenario(
        name="home",
        tend_path="/",
        baseline_path="/",
        expect='id="welcome"',
        description="the home page: one EXISTS query and the full page template",
    )
)
