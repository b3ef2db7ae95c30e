"""The package version, in one place: the root re-exports it, the Client sends it as User-Agent."""

__version__ = "0.1.0"
