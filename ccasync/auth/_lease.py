"""The refresh lease as the refresher sees it: a shared store's lease, or an in-process one.

:func:`refresh_lease` hands the refresher one :class:`~ccasync.auth.TokenLease` whatever the
store: a :class:`~ccasync.auth.SharedTokenStore` lends its own (a flock, a Redis lease); any
other store gets a :class:`~ccasync.auth._stores.HeldLease`, which relies on the refresher's own
lock (one process).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ccasync.auth._stores import HeldLease, SharedTokenStore, TokenLease, TokenStore
from ccasync.auth._token import OAuth2Token
from ccasync.errors import CoordinationError

SAVE_ALLOWANCE = 5.0
"""Most seconds of lease kept beyond the token request's timeout, for saving the answer."""


def lease_needed(token_timeout: float) -> float:
    """Seconds of lease a refresh needs before its request leaves: the request, then the save.

    The save gets as long as the request (at most :data:`SAVE_ALLOWANCE`): a holder that stalls
    longer than this between the answer and the save may lose its lease.
    """
    return token_timeout + min(token_timeout, SAVE_ALLOWANCE)


@asynccontextmanager
async def refresh_lease(store: TokenStore, *, wait: float) -> AsyncIterator[TokenLease]:
    """The store's own lease when it is shared across processes, else a ``HeldLease``."""
    if isinstance(store, SharedTokenStore):
        async with store.refresh_lease(wait=wait) as lease:
            yield lease
    else:
        yield HeldLease(store)


class LeaseGuard:
    """Run before each token request leaves: keeps :func:`lease_needed` of lease, or refuses.

    Raises :class:`CoordinationError` (and sets :attr:`lost`) when the lease expired meanwhile:
    another process may be refreshing now, so the request must not be sent; the refresher then
    starts over under a new lease.
    """

    def __init__(self, lease: TokenLease, seconds: float) -> None:
        self._lease = lease
        self._needed = lease_needed(seconds)
        self.lost = False

    async def __call__(self) -> None:
        if self._lease.remaining() >= self._needed:
            return
        if not await self._lease.extend(self._needed):
            self.lost = True
            raise CoordinationError("the token refresh lease expired before the request was sent")


def refreshed_elsewhere(stored: OAuth2Token | None, base: OAuth2Token | None) -> bool:
    """True when ``stored`` is a different pair than ``base`` (someone refreshed meanwhile)."""
    if stored is None or base is None:
        return False
    return (stored.access_token, stored.refresh_token) != (base.access_token, base.refresh_token)
