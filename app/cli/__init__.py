"""The `tend` command: run, migrate, and the operator's commands (care accounts and
people, key rotation, audit verification; docs/OPERATIONS.md).

Operator messages here are English: the CLI is for whoever runs the server, while
everything a carer, family member or admin sees in the app is translated.

The operator's commands connect as the app role, like the web app, and bind each care
account in turn, so row-level security applies to them as well."""

from app.cli import _demo, _people, _security, _serve, _worker  # noqa: F401 — they register the commands
from app.cli._group import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
