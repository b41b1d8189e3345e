"""Staff, invitations, and the last-admin rule."""
