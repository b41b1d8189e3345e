"""Tend: care coordination for carers, families and care agencies."""
