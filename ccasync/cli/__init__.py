"""The ``ccasync`` command (console script ``ccasync = ccasync.cli:main``).

``_commands`` parses arguments and runs a command; ``_demo`` is the weekly multi-location job on
the embedded simulator (``ccasync demo``).
"""

from ccasync.cli._commands import main

__all__ = ["main"]
