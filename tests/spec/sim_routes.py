"""Which spec operations the simulator serves: its aiohttp router read as (method, path template).

For the spec drift guard and the simulator's coverage test. Parameter names differ between the
spec and the simulator (``{campaign_ids}`` vs ``{ids}``), so templates are compared by
:func:`shape`, which blanks every ``{name}``. Building the router needs no spec; comparing with it
does (callers carry the ``spec`` marker).
"""

from __future__ import annotations

import re

from ccasync.sim import SimConfig, SimState
from ccasync.sim._app import build_app

API_PREFIX = "/v3"
_PARAM = re.compile(r"\{[^}]+\}")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def shape(template: str) -> str:
    """``template`` without the ``/v3`` prefix and with every ``{name}`` blanked to ``{}``."""
    return _PARAM.sub("{}", template.removeprefix(API_PREFIX))


def sim_operations() -> set[tuple[str, str]]:
    """Every (METHOD, path template) the simulator's router serves under ``/v3``, prefix removed.

    Templates keep the simulator's parameter names (``/emails/{campaign_id}``); HEAD routes that
    aiohttp adds for GETs and the OAuth routes (outside ``/v3``) are left out.
    """
    app = build_app(SimState(SimConfig(per_second=None, per_day=None)))
    found: set[tuple[str, str]] = set()
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method not in _METHODS:
            continue
        template = resource.canonical
        if template.startswith(API_PREFIX + "/"):
            found.add((route.method, template.removeprefix(API_PREFIX)))
    return found


def spec_operations(spec: dict[str, object]) -> set[tuple[str, str]]:
    """Every (METHOD, path template) of a parsed Swagger 2 spec (templates as the spec has them)."""
    paths = spec["paths"]
    assert isinstance(paths, dict)
    return {
        (method.upper(), template)
        for template, item in paths.items()
        for method in item
        if method.upper() in _METHODS
    }


def unserved(spec: dict[str, object]) -> set[tuple[str, str]]:
    """The spec's operations the simulator does not serve (spec templates)."""
    served = {(method, shape(template)) for method, template in sim_operations()}
    return {(m, t) for m, t in spec_operations(spec) if (m, shape(t)) not in served}
