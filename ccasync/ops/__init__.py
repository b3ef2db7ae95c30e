"""Bulk workflows built on the public client API; each returns a result object."""
