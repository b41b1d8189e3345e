"""The care notes module (DESIGN.md §5)."""
