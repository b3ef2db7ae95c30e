"""The simulator's outbox: every message it delivered, rendered per recipient (merge tags)."""
