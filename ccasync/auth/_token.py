"""The OAuth2 token record and the pure rules that read token-endpoint answers.

Expiry: the reference (§2.2, §16) flags ``expires_in`` as a CONFLICT (the spec text calls it an
epoch timestamp, OAuth says seconds-until-expiry), so the access token's own JWT ``exp`` claim is
the truth. It is decoded WITHOUT verifying the signature: we only need to know when to refresh,
never to trust the claims. When the token is not a JWT, ``expires_in`` is used; a value larger
than 10^9 can only be an epoch timestamp and is read as one.

Reading an expiry is total: a value that is not a finite time a datetime can hold (JWT
``exp=1e12``, ``expires_in="nan"``, ``1e300``) means "unknown expiry" (None: renew after a 401),
never an exception. This matters because the answer is read after the endpoint has spent the old
refresh token: an exception there would lose the only valid pair.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import attrs
import orjson

from ccasync.errors import DecodeError

_EPOCH_THRESHOLD = 1_000_000_000


def hidden_repr(_: object) -> str:
    """The ``repr`` of a secret field: always ``'***'``."""
    return "'***'"


@attrs.frozen(kw_only=True)
class OAuth2Token:
    """An OAuth2 token pair as issued by the token endpoint.

    ``expires_at`` is an aware UTC datetime, or None when the server gave no usable expiry
    (then the token is renewed only after a 401). ``refresh_token`` is None when the grant
    carried no ``offline_access`` scope. ``scope`` is space-delimited. The tokens never appear
    in ``repr``/``str``.
    """

    access_token: str = attrs.field(repr=hidden_repr)
    refresh_token: str | None = attrs.field(default=None, repr=hidden_repr)
    expires_at: dt.datetime | None = None
    scope: str = ""
    token_type: str = "Bearer"

    def expires_within(self, seconds: float, now: float) -> bool:
        """True when the token expires less than ``seconds`` after ``now`` (epoch seconds)."""
        if self.expires_at is None:
            return False
        return self.expires_at.timestamp() - now < seconds

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO-8601 ``expires_at``) for token stores."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "scope": self.scope,
            "token_type": self.token_type,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OAuth2Token:
        """Rebuild a token from :meth:`to_json` output; DecodeError when it does not fit."""
        try:
            access = data["access_token"]
            expires = data.get("expires_at")
            if not isinstance(access, str) or not access:
                raise ValueError("access_token missing")
            return cls(
                access_token=access,
                refresh_token=data.get("refresh_token") or None,
                expires_at=_aware(dt.datetime.fromisoformat(expires)) if expires else None,
                scope=str(data.get("scope") or ""),
                token_type=str(data.get("token_type") or "Bearer"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DecodeError(f"stored OAuth2 token is malformed: {type(exc).__name__}") from None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def jwt_expiry(token: str) -> dt.datetime | None:
    """The ``exp`` claim of a JWT as an aware UTC datetime; None when ``token`` is not a JWT.

    The signature is NOT verified (the value only schedules a refresh).
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        exp = orjson.loads(payload).get("exp")
    except (binascii.Error, ValueError, AttributeError):
        return None
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    return _utc(exp)


def _utc(epoch: float) -> dt.datetime | None:
    """``epoch`` seconds as an aware UTC datetime; None when no datetime can hold it."""
    if not math.isfinite(epoch):
        return None
    try:
        return dt.datetime.fromtimestamp(epoch, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _expiry_from_expires_in(value: Any, now: float) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except (OverflowError, ValueError):
        return None
    if not math.isfinite(seconds):
        return None
    # expires_in CONFLICT (§16): a huge value can only be the epoch timestamp the spec describes.
    return _utc(seconds if seconds > _EPOCH_THRESHOLD else now + seconds)


def token_from_response(
    data: Any, *, now: float, previous: OAuth2Token | None = None
) -> OAuth2Token:
    """Build a token from a token-endpoint JSON answer received at ``now`` (epoch seconds).

    A missing ``refresh_token`` or ``scope`` keeps the ``previous`` one (servers may omit an
    unchanged long-lived refresh token). Raises DecodeError when ``access_token`` is missing.
    """
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        raise DecodeError("token endpoint answer has no access_token")
    access: str = data["access_token"]
    if not access:
        raise DecodeError("token endpoint answer has an empty access_token")
    expires_at = jwt_expiry(access) or _expiry_from_expires_in(data.get("expires_in"), now)
    refresh = data.get("refresh_token") or (previous.refresh_token if previous else None)
    scope = data.get("scope") or (previous.scope if previous else "")
    return OAuth2Token(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) else None,
        expires_at=expires_at,
        scope=str(scope),
        token_type=str(data.get("token_type") or "Bearer"),
    )


def salvaged_pair(data: Any, *, now: float, previous: OAuth2Token) -> OAuth2Token | None:
    """A pair to save when a refresh answer has a new refresh token but no usable access token.

    The old refresh token is spent once the endpoint answered, so the new one must be kept even
    though this answer cannot be used: the pair returned carries it with ``previous``'s access
    token, already expired, so the next call refreshes with it. None when there is nothing new
    to keep.
    """
    refresh = data.get("refresh_token") if isinstance(data, dict) else None
    if not isinstance(refresh, str) or not refresh or refresh == previous.refresh_token:
        return None
    return attrs.evolve(previous, refresh_token=refresh, expires_at=_utc(now - 1))
