"""Patients: identity fields encrypted, searchable without storing them in clear."""
