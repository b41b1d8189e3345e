"""The tasks module (DESIGN.md §5)."""
