"""The scenarios: which page to load on Tend and on the baseline, and the data it needs.

A new scenario is one `register(Scenario(...))` here plus, when the baseline has no page
for it yet, one handler in baseline_app.py that does what Tend's page does.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from bench import seed
from bench.seed import BenchKeys


@dataclass(frozen=True)
class BenchDatabase:
    """The run's throwaway database, as each of its roles reaches it."""

    admin_url: str
    owner_url: str
    """Owns the tables: what seeding uses. Row-level security still binds it on the
    tenant tables (they FORCE it), so a seed sets `app.tenant_id` as Tend does."""
    app_url: str
    """What Tend and the baseline serve requests as."""
    name: str


@dataclass(frozen=True)
class Access:
    """How the load reaches a seeded page: the cookies Tend needs (a signed-in session)
    and the headers the baseline needs (which tenant to read, as it checks no session)."""

    tend_cookies: Mapping[str, str] = field(default_factory=dict)
    baseline_headers: tuple[str, ...] = ()
    tenant_id: uuid.UUID | None = None
    note: str = ""
    """What the seed did, for the run's checks (e.g. how long seeding took)."""


Seed = Callable[[BenchDatabase, BenchKeys], Awaitable[Access | None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    tend_path: str
    baseline_path: str
    expect: str
    """Text every response must contain: a page that renders but says the wrong thing (an
    error page with status 200, an empty list) must not pass for a fast one."""
    expect_counts: tuple[tuple[str, int], ...] = ()
    """Texts every response must contain exactly so many times (e.g. one per list row)."""
    seed: Seed | None = None
    """Runs just before the scenario, after the earlier scenarios' seeds, then ANALYZE.
    Seeds accumulate over a run, so a scenario seeds data of its own (its own tenant)
    rather than assuming an empty database."""
    description: str = ""
    patients: int | None = None
    """Patients in the scenario's tenant, for the scale comparison."""


SCENARIOS: dict[str, Scenario] = {}
GROUPS: dict[str, tuple[str, ...]] = {}
"""Names that stand for several scenarios on the command line."""


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


BASELINE_TENANT_HEADER = "X-Bench-Tenant"
PAGE_SIZE = 50  # app/domain/patients/repository.py


def _patient_list_seed(name: str, patients: int) -> Seed:
    async def seed_tenant(db: BenchDatabase, keys: BenchKeys) -> Access:
        admin, seconds = await seed.admin_with_patients(db.owner_url, keys, name, patients)
        return Access(
            tend_cookies={"tend_session": admin.token},
            baseline_headers=(f"{BASELINE_TENANT_HEADER}: {admin.tenant_id}",),
            tenant_id=admin.tenant_id,
            note=f"{patients:,} patients sealed and inserted in {seconds:.1f} s",
        )

    return seed_tenant


def _patient_list(name: str, patients: int, description: str) -> Scenario:
    return register(
        Scenario(
            name=name,
            tend_path="/patients",
            baseline_path="/patients",
            expect='id="patient-results"',
            # One row per patient on the page, each with its decrypted date of birth.
            expect_counts=(('<li class="list__row">', PAGE_SIZE), ("Born ", PAGE_SIZE)),
            seed=_patient_list_seed(f"Bench {name}", patients),
            description=description,
            patients=patients,
        )
    )


_patient_list(
    "patients",
    60,
    "the patient list signed in as an admin (MFA given): session check, RLS, 50 patients' "
    "names and dates of birth decrypted, a `patient.list` audit event; 60 in the tenant",
)
_patient_list(
    "patients-1k",
    1_000,
    "the same patient list in a tenant with 1,000 patients",
)
_patient_list(
    "patients-100k",
    100_000,
    "the same patient list in a tenant with 100,000 patients",
)
GROUPS["patients-scale"] = ("patients-1k", "patients-100k")
