"""The vitals module (DESIGN.md §5)."""
