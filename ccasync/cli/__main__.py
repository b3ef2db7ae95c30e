"""``python -m ccasync.cli``: the ``ccasync`` command without the console script."""

import sys

from ccasync.cli._commands import main

if __name__ == "__main__":  # importing this module (e.g. a package walk) runs nothing
    sys.exit(main())
