"""Tenants (care accounts)."""
