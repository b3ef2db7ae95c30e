"""Build the API reference (HTML, from the docstrings) with pdoc; warnings are errors.

Usage: ``python docs/build_api.py [OUTPUT_DIR]`` (default ``build/api``); open
``OUTPUT_DIR/index.html``. Needs pdoc (in the ``test`` extra). Every public module gets a page:
the package root, every module and package whose dotted name has no ``_`` segment (the
simulator included); private modules are documented through the public names they re-export.
Exits non-zero on any pdoc warning (a broken reference, a docstring pdoc cannot read).
"""

from __future__ import annotations

import pkgutil
import sys
import warnings
from pathlib import Path

import ccasync


def public_modules() -> list[str]:
    """Dotted names of ccasync's public modules, the root first."""
    names = ["ccasync"]
    for info in pkgutil.walk_packages(ccasync.__path__, "ccasync."):
        parts = info.name.split(".")
        if not any(part.startswith("_") for part in parts):
            names.append(info.name)
    return names


def build(output: Path) -> list[str]:
    """Render every public module into ``output``; returns the module names rendered."""
    import pdoc
    import pdoc.render

    modules = public_modules()
    # No highlighted source under each name: the reference is for the interface, and the
    # source rendering is most of pdoc's time.
    pdoc.render.configure(show_source=False, docformat="restructuredtext")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # pdoc walks the submodules of a package without __all__ itself; naming them again
        # here (so that every one is certain to get a page) is harmless, not a problem to fix
        warnings.filterwarnings("ignore", message="The module specification .* already been")
        pdoc.pdoc(*modules, output_directory=output)
    return modules


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "build/api")
    done = build(target)
    print(f"{len(done)} modules documented in {target}/index.html")
