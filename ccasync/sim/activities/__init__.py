"""Bulk activities: the per-account queue, its jobs (imports, memberships, exports, deletes)."""
