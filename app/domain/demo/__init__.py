"""The demo care account that `tend demo` loads (DESIGN.md §9)."""
