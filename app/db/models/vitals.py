"""Tables of the vitals module."""
