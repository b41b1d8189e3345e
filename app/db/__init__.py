"""The database: engine and roles, the embedded PostgreSQL, tenant binding for RLS, models."""
