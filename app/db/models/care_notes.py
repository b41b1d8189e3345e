"""Tables of the care notes module."""
