"""Tenant data keys: created, unwrapped, cached and rotated."""
