"""Fault injection for the simulator, deterministic under a seed.

Grammar of a fault spec (``--faults`` / ``SimConfig.faults``)::

    SPEC   := RULE (("," | ";") RULE)*
    RULE   := HEAD ["!retry-after=" SECONDS] ["@" MATCH]
    HEAD   := STATUS [":" PROB]            answer STATUS (429 or 500..599) with probability PROB
            | "reset" [":" PROB]           run the request, send the headers and half the body,
                                           then drop the connection
            | "hang" [":" PROB]            never answer (until the client gives up or the
                                           simulator stops; hang_seconds at most, then 504)
            | "latency:" DURATION [":" PROB]   add DURATION of wall time before answering
            | "429burst:" N [":" PROB]     N consecutive throttled 429s; without PROB one burst
                                           at the first matching request, with PROB each
                                           matching request outside a burst starts one
            | "nth:" K ":" ACTION          only the K-th matching request (1-based) gets ACTION
    ACTION := STATUS | "reset" | "hang"
    PROB   := a float in [0, 1] (default 1)
    DURATION := a number with "ms" or "s" ("200ms", "1.5s")
    MATCH  := [METHOD " "] GLOB            GLOB: fnmatch pattern on the path ("/v3/contacts*")

Examples: ``500:0.05``, ``503:0.1@/v3/contacts*``, ``reset:0.02``, ``latency:200ms``, ``hang:0.01``,
``429burst:5@/v3/emails``, ``nth:3:503@POST /v3/activities/contacts_json_import``,
``503:0.2!retry-after=2``. Latency rules add up; of the other rules the first that fires wins.
Injected 429/5xx answers happen before authentication and do not count toward the limits; a
``reset`` request runs fully (its effects persist), only the answer is cut.
A ``Retry-After`` header is only sent when a rule asks for it (the real API documents none).
"""

from __future__ import annotations

import fnmatch
import random
import re

import attrs

ACTIONS_TEXT = "a status (429 or 500-599), reset or hang"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")


class FaultSpecError(ValueError):
    """A fault spec that does not follow the grammar; the message names the bad rule."""


@attrs.frozen
class Fault:
    """What to do to one request: ``kind`` is "status", "reset" or "hang"."""

    kind: str
    status: int = 0
    retry_after: float | None = None


@attrs.define
class FaultRule:
    """One parsed rule with its match counter and burst state."""

    kind: str  # status, reset, hang, latency, burst, nth
    method: str | None
    glob: str
    prob: float = 1.0
    status: int = 0
    action: str = ""
    seconds: float = 0.0
    count: int = 0
    retry_after: float | None = None
    seen: int = 0
    burst_left: int = 0
    burst_started: bool = False

    def matches(self, method: str, path: str) -> bool:
        """True when the rule applies to ``method path``."""
        if self.method is not None and self.method != method:
            return False
        return fnmatch.fnmatchcase(path, self.glob)


def _prob(text: str, rule: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultSpecError(f"{rule!r}: probability {text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise FaultSpecError(f"{rule!r}: probability {text!r} must be within 0..1")
    return value


def _int(text: str, rule: str, what: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise FaultSpecError(f"{rule!r}: {what} {text!r} must be a positive integer")
    return int(text)


def _action(text: str, rule: str) -> tuple[str, int]:
    if text in ("reset", "hang"):
        return text, 0
    if text.isdigit() and (int(text) == 429 or 500 <= int(text) <= 599):
        return "status", int(text)
    raise FaultSpecError(f"{rule!r}: action {text!r} must be {ACTIONS_TEXT}")


def _match(text: str | None, rule: str) -> tuple[str | None, str]:
    if text is None:
        return None, "*"
    parts = text.strip().split(" ", 1)
    if len(parts) == 2:
        method, glob = parts[0].upper(), parts[1].strip()
        if not method.isalpha():
            raise FaultSpecError(f"{rule!r}: {parts[0]!r} is not an HTTP method")
        return method, glob
    if not parts[0].startswith(("/", "*")):
        raise FaultSpecError(f"{rule!r}: match {text!r} must be a path glob starting with / or *")
    return None, parts[0]


def _seconds(text: str, rule: str) -> float:
    found = _DURATION.match(text)
    if not found:
        raise FaultSpecError(f"{rule!r}: duration {text!r} must look like 200ms or 1.5s")
    value = float(found.group(1))
    return value / 1000 if found.group(2) == "ms" else value


def _retry_after(text: str | None, rule: str) -> float | None:
    if text is None:
        return None
    key, _, value = text.partition("=")
    if key != "retry-after":
        raise FaultSpecError(f"{rule!r}: unknown option {key!r} (only retry-after=SECONDS)")
    try:
        return float(value)
    except ValueError:
        raise FaultSpecError(f"{rule!r}: retry-after {value!r} is not a number") from None


def parse_rule(rule: str) -> FaultRule:
    """Parse one RULE of the grammar; :class:`FaultSpecError` says what is wrong."""
    head, _, match = rule.partition("@")
    head, _, option = head.partition("!")
    method, glob = _match(match if "@" in rule else None, rule)
    retry_after = _retry_after(option if "!" in rule else None, rule)
    parts = head.strip().split(":")
    name, args = parts[0], parts[1:]
    base = FaultRule(kind="", method=method, glob=glob, retry_after=retry_after)
    if name == "latency":
        if not 1 <= len(args) <= 2:
            raise FaultSpecError(f"{rule!r}: use latency:DURATION[:PROB]")
        base.kind, base.seconds = "latency", _seconds(args[0], rule)
    elif name == "429burst":
        if not 1 <= len(args) <= 2:
            raise FaultSpecError(f"{rule!r}: use 429burst:N[:PROB]")
        base.kind, base.count, base.status = "burst", _int(args[0], rule, "burst length"), 429
        base.prob = -1.0 if len(args) == 1 else _prob(args[1], rule)
        return base
    elif name == "nth":
        if len(args) != 2:
            raise FaultSpecError(f"{rule!r}: use nth:K:ACTION")
        base.kind, base.count = "nth", _int(args[0], rule, "K")
        base.action, base.status = _action(args[1], rule)
        return base
    else:
        if len(args) > 1:
            raise FaultSpecError(f"{rule!r}: use ACTION[:PROB]")
        base.kind, base.status = _action(name, rule)
        args = [None, *args]  # type: ignore[list-item]
    if len(args) == 2 and args[1] is not None:
        base.prob = _prob(args[1], rule)
    return base


def parse_spec(spec: str | None) -> list[FaultRule]:
    """Parse a whole SPEC (None or blank = no faults)."""
    if spec is None or not spec.strip():
        return []
    rules = [part.strip() for part in re.split(r"[,;]", spec)]
    if any(not part for part in rules):
        raise FaultSpecError(f"{spec!r}: empty rule")
    return [parse_rule(part) for part in rules]


class FaultPlan:
    """Decides, per request, the latency to add and the fault (if any), from a seeded RNG."""

    def __init__(self, spec: str | None, seed: int) -> None:
        """Parse ``spec`` (FaultSpecError if invalid); ``seed`` makes decisions reproducible."""
        self.rules = parse_spec(spec)
        self._rng = random.Random(f"faults-{seed}")
        self.injected = 0

    def _fires(self, rule: FaultRule) -> bool:
        if rule.kind == "nth":
            return rule.seen == rule.count
        if rule.kind == "burst":
            return self._burst(rule)
        return rule.prob >= 1.0 or self._rng.random() < rule.prob

    def _burst(self, rule: FaultRule) -> bool:
        if rule.burst_left > 0:
            rule.burst_left -= 1
            return True
        start = not rule.burst_started if rule.prob < 0 else self._rng.random() < rule.prob
        if start:
            rule.burst_started = True
            rule.burst_left = rule.count - 1
        return start

    def decide(self, method: str, path: str) -> tuple[float, Fault | None]:
        """(wall seconds of added latency, the fault to apply or None) for one request."""
        if not self.rules:
            return 0.0, None
        delay = 0.0
        fault: Fault | None = None
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            rule.seen += 1
            if (fault is not None and rule.kind != "latency") or not self._fires(rule):
                continue
            if rule.kind == "latency":
                delay += rule.seconds
                continue
            kind = rule.action if rule.kind == "nth" else rule.kind
            fault = Fault("status" if kind == "burst" else kind, rule.status, rule.retry_after)
        if fault is not None:
            self.injected += 1
        return delay, fault
