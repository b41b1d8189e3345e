"""Tables of the tasks module."""
