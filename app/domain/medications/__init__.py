"""The medications module (DESIGN.md §5)."""
