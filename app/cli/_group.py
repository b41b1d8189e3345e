"""The `tend` command group; each command lives in the module named for its area."""

from __future__ import annotations

import logging

import click


@click.group()
def main() -> None:
    """Tend: care coordination."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("pgserver", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
