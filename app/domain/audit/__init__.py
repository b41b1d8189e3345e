"""Audit trail pages and exports for admins."""
