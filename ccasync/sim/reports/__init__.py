"""Email reporting: statistics and per-contact tracking computed from recorded events."""
