"""Plans, the modules each includes, and the gate in front of every module."""
