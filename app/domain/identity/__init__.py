"""Identity: sign-up, sign-in, sessions, passwords and MFA."""
