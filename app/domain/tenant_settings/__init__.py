"""The care account's own settings: sessions and MFA policy."""
