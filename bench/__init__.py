"""Tend's benchmark harness: Tend against a bare baseline, same load, same run (README.md)."""
