"""Personal settings: the interface language."""
