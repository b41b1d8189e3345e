"""A fresh machine gets the versions Tend was tested with.

Every dependency carries an upper bound, so a new major (or, for the few whose minor
releases have changed behaviour Tend relies on, a new minor) is never picked up unseen,
and the constraints file the README's commands install with pins each of them exactly.
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.paths import PACKAGE_DIR

ROOT = PACKAGE_DIR.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
OWN_NAME = canonicalize_name(PYPROJECT["project"]["name"])


def _requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    lines += PYPROJECT["build-system"]["requires"]
    found = [Requirement(line) for line in lines]
    return [r for r in found if canonicalize_name(r.name) != OWN_NAME]


def _constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = pinned
    return pins


REQUIREMENTS = _requirements()


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=lambda r: r.name)
def test_every_dependency_has_an_upper_bound(requirement: Requirement) -> None:
    assert any(spec.operator in {"<", "<=", "==", "~="} for spec in requirement.specifier), (
        f"{requirement} has no upper bound"
    )


@pytest.mark.parametrize(
    "requirement",
    [r for r in REQUIREMENTS if canonicalize_name(r.name) != "hatchling"],
    ids=lambda r: r.name,
)
def test_the_constraints_pin_every_dependency_inside_its_range(requirement: Requirement) -> None:
    pins = _constraints()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"constraints.txt does not pin {requirement.name}"
    assert re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", pins[name]), f"{name} is not pinned exactly"
    assert requirement.specifier.contains(pins[name], prereleases=True)


def test_the_installed_versions_are_the_pinned_ones() -> None:
    # What this run imports is what a new user's install gets (the README installs with
    # the constraints): a drifted environment would make a green run mean nothing.
    pins = _constraints()
    installed = (
        PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["test"]
    )
    for requirement in map(Requirement, installed):
        name = canonicalize_name(requirement.name)
        assert version(requirement.name) == pins[name], requirement.name


def test_the_readme_commands_install_with_the_constraints() -> None:
    readme = (ROOT / "README.md").read_text()
    for marker in ("<!-- run-command -->", "<!-- test-command -->"):
        command = readme.split(marker, 1)[1].split("```", 2)[1]
        assert "-c constraints.txt" in command, marker
