"""Virtual clock of the simulator: scaled wall time plus manual steps."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable


class VirtualClock:
    """Simulated UTC time: ``start + scale * wall_elapsed + manual_steps``.

    ``scale`` 0 freezes the clock so that only :meth:`advance` moves it (deterministic tests).
    Listeners registered with :meth:`on_advance` run after every :meth:`advance` (the state
    uses this to fire due work: schedules, bulk activities, day roll-over).
    """

    def __init__(
        self,
        start: dt.datetime | None = None,
        scale: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start at ``start`` (aware; default: real now, UTC) running at ``scale`` x wall time."""
        if start is not None and start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._monotonic = monotonic
        self._base = (start or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).timestamp()
        self._anchor = monotonic()
        self._scale = float(scale)
        self._listeners: list[Callable[[], None]] = []

    @property
    def scale(self) -> float:
        """Simulated seconds per wall-clock second."""
        return self._scale

    def timestamp(self) -> float:
        """Simulated now as POSIX seconds (UTC)."""
        return self._base + (self._monotonic() - self._anchor) * self._scale

    def now(self) -> dt.datetime:
        """Simulated now as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.timestamp(), dt.UTC)

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` (>= 0) of simulated time forward, then run the due work."""
        if seconds < 0:
            raise ValueError("the virtual clock never goes backwards")
        self._base += seconds
        for listener in list(self._listeners):
            listener()

    def set_scale(self, scale: float) -> None:
        """Change the speed from now on (0 = frozen); simulated time already elapsed is kept."""
        if scale < 0:
            raise ValueError("scale must be >= 0")
        self._base = self.timestamp()
        self._anchor = self._monotonic()
        self._scale = float(scale)

    def wall_seconds_until(self, timestamp: float) -> float | None:
        """Wall seconds until simulated ``timestamp`` at the current scale (None when frozen)."""
        if self._scale == 0:
            return None
        return max(0.0, (timestamp - self.timestamp()) / self._scale)

    def on_advance(self, listener: Callable[[], None]) -> None:
        """Register ``listener`` to run after every :meth:`advance`."""
        self._listeners.append(listener)
