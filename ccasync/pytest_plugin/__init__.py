"""pytest plugin ``ccasync``: the simulator and a Client on its clock, with no boilerplate.

Installed with ccasync and registered through the ``pytest11`` entry point named ``ccasync``
(disable it with ``-p no:ccasync``); it needs pytest-asyncio (``pip install 'ccasync[pytest]'``).
A test file needs no imports::

    async def test_welcome(cc_client, cc_sim, cc_advance):
        made = await cc_client.lists.get_or_create("Sign-ups")
        cc_advance(days=8)               # simulated time moves, due sends go out
        assert cc_sim.clock.now() > ...

Fixtures (function scope, one fresh simulator per test):

- ``cc_sim``: a running :class:`ccasync.sim.Sim` (``base_url``, ``token``, ``clock``, ``log``,
  ``state``, ``add_account`` ...) with rate limits OFF, the default fault-free behaviour and
  seed 0. Change any :class:`ccasync.sim.SimConfig` field with the marker
  ``@pytest.mark.cc_sim(per_second=4, per_day=10_000, faults="...", seed=3, time_scale=0)``
  (on a test, a class or a module: ``pytestmark``); the closest marker wins per field.
- ``cc_client``: a :class:`ccasync.Client` on ``cc_sim``'s default account, closed after the
  test. The simulator's virtual clock is wired into everything in the library that reads the
  date: ``cc_client.campaigns.clock`` (scheduling, recurring sends, fan-out, audience look-back)
  and its :class:`ccasync.RateLimiter`'s daily ledger (which paces to the simulator's limits:
  none by default).
- ``cc_advance``: ``cc_advance(days=0, hours=0, minutes=0, seconds=0)`` moves the simulated
  clock forward and, in the same call, runs everything that fell due on the way in time order
  (scheduled sends start and finish, bulk activities progress, resends fire); returns the new
  simulated now. Plain function: no ``await``.

Wall time still drives HTTP timeouts and import polling; the simulator's clock runs at
``time_scale`` (1 by default: imports complete in a fraction of a second, as in production but
faster). ``time_scale=0`` freezes it so only ``cc_advance`` moves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest

from ccasync.client import Client
from ccasync.limiter import RateLimiter
from ccasync.sim import Sim, SimConfig, serve

try:
    import pytest_asyncio

    HAS_PYTEST_ASYNCIO = True
except ImportError:  # pragma: no cover - pytest-asyncio is in ccasync[pytest] and ccasync[test]
    HAS_PYTEST_ASYNCIO = False

__all__ = [
    "Advance",
    "advance",
    "cc_advance",
    "cc_client",
    "cc_sim",
    "client_for",
    "sim_config",
]

MARKER = "cc_sim"
"""The marker whose keyword arguments override :class:`ccasync.sim.SimConfig` fields."""

DEFAULTS: dict[str, Any] = {"per_second": None, "per_day": None}
"""What the plugin changes from SimConfig's defaults: limits off."""

Advance = Callable[..., dt.datetime]
"""``cc_advance``'s type: ``(days=0, hours=0, minutes=0, seconds=0) -> simulated now``."""


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``cc_sim`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**fields): SimConfig fields for the cc_sim fixture "
        "(per_second, per_day, faults, seed, time_scale, start_time, ...)",
    )


def sim_config(node: pytest.Item | None = None, **overrides: Any) -> SimConfig:
    """The :class:`SimConfig` ``cc_sim`` uses: limits off, then the markers, then ``overrides``.

    Markers closer to the test win (test over class over module). Raises ``pytest.UsageError``
    naming an unknown field or a refused value.
    """
    fields: dict[str, Any] = dict(DEFAULTS)
    if node is not None:
        for marker in reversed(list(node.iter_markers(MARKER))):
            if marker.args:
                raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only")
            fields.update(marker.kwargs)
    fields.update(overrides)
    known = {field.name for field in attrs.fields(SimConfig)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: unknown SimConfig field(s) {unknown}")
    try:
        return SimConfig(**fields)
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: {exc}") from None


def advance(
    sim: Sim, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
) -> dt.datetime:
    """Move ``sim``'s clock forward, running the work that falls due; the new simulated now.

    Raises ValueError for a negative total (the simulated clock never goes back).
    """
    step = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    sim.clock.advance(step.total_seconds())
    return sim.clock.now()


def client_for(sim: Sim) -> Client:
    """A Client on ``sim``'s default account, its campaigns clock and limiter on ``sim``'s clock."""
    limiter = RateLimiter(sim.config.per_second, sim.config.per_day, clock=sim.clock.now)
    client = Client(access_token=sim.token, base_url=sim.base_url, rate_limiter=limiter)
    client.campaigns.clock = sim.clock.now
    return client


def _async_fixture(function: Any) -> Any:
    if not HAS_PYTEST_ASYNCIO:  # pragma: no cover

        @pytest.fixture(name=function.__name__)
        def missing() -> None:
            raise pytest.UsageError(
                f"the {function.__name__} fixture needs pytest-asyncio: "
                "pip install 'ccasync[pytest]'"
            )

        missing.__doc__ = function.__doc__
        return missing
    return pytest_asyncio.fixture(function)


@_async_fixture
async def cc_sim(request: pytest.FixtureRequest) -> AsyncIterator[Sim]:
    """A running simulator (limits off; ``@pytest.mark.cc_sim(...)`` sets SimConfig fields)."""
    async with serve(sim_config(request.node)) as sim:
        yield sim


@_async_fixture
async def cc_client(cc_sim: Sim) -> AsyncIterator[Client]:
    """A Client on ``cc_sim`` with the simulator's clock wired in; closed after the test."""
    async with client_for(cc_sim) as client:
        yield client


@pytest.fixture
def cc_advance(cc_sim: Sim) -> Advance:
    """``cc_advance(days=, hours=, minutes=, seconds=)``: advance ``cc_sim`` and run due work."""

    def step(
        *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> dt.datetime:
        return advance(cc_sim, days=days, hours=hours, minutes=minutes, seconds=seconds)

    return step
