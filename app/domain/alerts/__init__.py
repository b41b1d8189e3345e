"""Care alerts: raised with what causes them, read live, acknowledged and resolved."""
