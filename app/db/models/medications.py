"""Tables of the medications module."""
