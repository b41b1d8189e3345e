"""The scenarios: which page to load on Tend and on the baseline, and the data it needs.

A new scenario is one `register(Scenario(...))` here plus, when the baseline has no page
for it yet, one handler in baseline_app.py that does what Tend's page does.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

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
    tend_path: str | None = None
    baseline_path: str | None = None
    """The page's path when it names seeded rows (a patient's id), instead of the
    scenario's."""
    check_body: Mapping[str, str] = field(default_factory=dict)
    """For a POST scenario: by target name, the body of the one request checked before
    the load (it must do what every request of the load does)."""
    rotate: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """By target name: the values (session tokens, user ids) that tell the people of the
    load apart, the first being the one the checked request sends; with wrk_rotate.lua,
    each request is the next person's (see that script)."""
    wrk_env: Callable[[str], dict[str, str]] | None = None
    """For a scenario with its own wrk script: called with the target's name before each
    wrk run, the variables that script reads (e.g. fresh doses to record)."""


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
    history_days: int | None = None
    """Days of record of the Today page's patient, for the history comparison."""
    method: str = "GET"
    wrk_script: str = "wrk_report.lua"
    """In bench/: wrk_report.lua for GETs; a POST scenario's script builds each request
    (and loads wrk_report.lua for the counting)."""
    headers: tuple[str, ...] = ()
    """Sent to both apps with every request (e.g. `HX-Request: true`)."""
    csrf: bool = False
    """Send Tend's CSRF cookie back in the X-CSRFToken header as well (htmx does), taken
    from a first GET of `/`."""


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
TENANT_USER_HEADER = "X-Bench-User"
PAGE_SIZE = 50  # app/domain/patients/repository.py


def _patient_list_seed(name: str, patients: int) -> Seed:
    async def seed_tenant(db: BenchDatabase, keys: BenchKeys) -> Access:
        admin, seconds = await seed.admin_with_patients(db.owner_url, keys, name, patients)
        return Access(
            tend_cookies={"tend_session": admin.token},
            baseline_headers=(
                f"{BASELINE_TENANT_HEADER}: {admin.tenant_id}",
                f"{TENANT_USER_HEADER}: {admin.user_id}",
            ),
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


# -- A patient's Today page, with history -------------------------------------------------

CARERS = 32
"""Carers of the Today page's patient, each with a grant and a session: the load rotates
over them (wrk_rotate.lua), 16 a wrk thread, so concurrent views are different carers'."""


def _today_seed(name: str, days: int) -> Seed:
    async def seed_today(db: BenchDatabase, keys: BenchKeys) -> Access:
        found, seconds = await seed.carer_with_history(db.owner_url, keys, name, days, CARERS)
        rows = ", ".join(f"{n:,} {table}" for table, n in found.rows.items())
        path = f"/patients/{found.patient_id}/today"
        return Access(
            tend_cookies={"tend_session": found.token},
            baseline_headers=(
                f"{BASELINE_TENANT_HEADER}: {found.tenant_id}",
                f"{TENANT_USER_HEADER}: {found.user_id}",
            ),
            tenant_id=found.tenant_id,
            note=f"{days:,} days of record ({rows}) inserted in {seconds:.1f} s; "
            f"{CARERS} carers with a grant, each request the next carer's",
            tend_path=path,
            baseline_path=path,
            rotate={
                "Tend": found.tokens,
                "baseline": tuple(str(user) for user in found.user_ids),
            },
        )

    return seed_today


def _today(name: str, days: int, description: str) -> Scenario:
    return register(
        Scenario(
            name=name,
            tend_path="/patients/{id}/today",
            baseline_path="/patients/{id}/today",
            # The notes card, the last of the four: the whole page was built.
            expect='id="today-note-list"',
            seed=_today_seed(f"Bench {name}", days),
            description=description,
            history_days=days,
            wrk_script="wrk_rotate.lua",
        )
    )


TODAY_CARD = (
    "signed in as one of 32 carers with a grant (MFA given): session check, RLS, the "
    "patient's name decrypted, the visit stamped, today's doses with their outcomes for 4 "
    "scheduled "
    "medicines and a PRN one, today's occurrences of 4 daily tasks with their completions, "
    "the latest vitals set with NEWS2, the last 3 notes and the handovers of the last 24 "
    "hours, one `today.view` audit event"
)
_today("today", 365, f"a patient's Today page, a year of record; {TODAY_CARD}")
_today("today-1m", 30, "the same Today page, 30 days of record")
_today("today-5y", 5 * 365, "the same Today page, five years of record")
GROUPS["today-scale"] = ("today-1m", "today-5y")


# -- Recording a dose (POST, htmx) ---------------------------------------------------------

THREADS_MAX = 4
"""wrk threads the dose load has medicines for; --threads beyond it fails."""
DOSE_PER_THREAD = 8
"""Medicines each wrk thread posts to in turn: concurrent requests record different
medicines (Tend holds each medicine's row lock from its checks to COMMIT)."""
DOSE_MEDICINES = 2 * (6 * THREADS_MAX * DOSE_PER_THREAD + 1)
"""Fresh medicines for each wrk run of each target (a warm-up and up to 5 rounds), and one
per target for the checked request."""


async def seed_dose(db: BenchDatabase, keys: BenchKeys) -> Access:
    found = await seed.carer_with_dose_rounds(db.owner_url, keys, "Bench dose", DOSE_MEDICINES)
    ids = [str(i) for i in found.medicine_ids]
    half = len(ids) // 2
    unused = {"Tend": iter(ids[:half]), "baseline": iter(ids[half:])}
    checked = {name: next(left) for name, left in unused.items()}
    path = f"/patients/{found.patient_id}/medicines/dose"
    # The doses start an hour before the current hour and go back an hour a request.
    start = int(datetime.now(UTC).timestamp()) // 3600 * 3600 - 3600

    def body(medicine: str) -> str:
        at = datetime.fromtimestamp(start, UTC)
        # Given at its time: a late dose with no time given is asked about, not recorded.
        return urlencode(
            {"medication_id": medicine, "scheduled_for": at.isoformat(), "outcome": "given",
             "note": "", "given_time": at.strftime("%H:%M")}
        )  # fmt: skip

    def wrk_env(target: str) -> dict[str, str]:
        wanted = THREADS_MAX * DOSE_PER_THREAD
        medicines = list(itertools.islice(unused[target], wanted))
        if len(medicines) < wanted:
            msg = f"dose: no fresh medicines left for {target}: seed more (DOSE_MEDICINES)"
            raise RuntimeError(msg)
        return {
            "BENCH_DOSE_MEDICINES": ",".join(medicines),
            "BENCH_DOSE_PATH": path,
            "BENCH_DOSE_START": str(start),
            "BENCH_DOSE_PER_THREAD": str(DOSE_PER_THREAD),
        }

    return Access(
        tend_cookies={"tend_session": found.token},
        baseline_headers=(
            f"{BASELINE_TENANT_HEADER}: {found.tenant_id}",
            f"{TENANT_USER_HEADER}: {found.user_id}",
        ),
        tenant_id=found.tenant_id,
        note=f"{DOSE_MEDICINES} medicines given every hour for five years, none recorded",
        tend_path=path,
        baseline_path=path,
        # The checked request records the dose an hour before the load's first.
        check_body={name: body(medicine) for name, medicine in checked.items()},
        wrk_env=wrk_env,
    )


register(
    Scenario(
        name="dose",
        tend_path="/patients/{id}/medicines/dose",
        baseline_path="/patients/{id}/medicines/dose",
        expect='class="list__row dose dose--given"',
        seed=seed_dose,
        description="recording a scheduled dose as given (POST, htmx, the partial back) as a "
        "carer with a grant: session check, CSRF, the medicine, the rules, the row lock, the "
        "one-outcome check, the INSERT, a `dose.record` audit event; each request a dose not "
        "recorded before",
        method="POST",
        wrk_script="wrk_dose.lua",
        headers=("HX-Request: true", "Content-Type: application/x-www-form-urlencoded"),
        csrf=True,
    )
)
