"""The package version, in one place: the build reads it (pyproject ``dynamic``), the root
re-exports it, the Client sends it in its User-Agent."""

__version__ = "0.1.0"
