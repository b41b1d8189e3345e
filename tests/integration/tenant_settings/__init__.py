"""The care account settings page."""
