"""Where Tend's files are, whether it runs from a clone or from an installed wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
LOCALES_DIR = PACKAGE_DIR / "locales"
TIERS_FILE = PACKAGE_DIR / "billing" / "tiers.json"


def _top_level(name: str, packaged_as: str) -> Path:
    # A wheel carries the top-level folder inside the package (pyproject force-include);
    # a clone or an editable install has it beside the package.
    packaged = PACKAGE_DIR / packaged_as
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name


MIGRATIONS_DIR = _top_level("migrations", "_migrations")
SERVICE_WORKER_DIR = _top_level("service-worker", "_service_worker")
