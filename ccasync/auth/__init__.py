"""Authentication: token providers, OAuth2 flows, token records and token stores.

- :class:`StaticToken` wraps a token you already have; a 401 is final.
- :class:`OAuth2Refresher` keeps one account's token pair alive (single-flight, persisted before
  use) in a :class:`TokenStore` (:class:`MemoryTokenStore`, :class:`FileTokenStore`); a
  :class:`SharedTokenStore` (the file store, Redis) also makes it single-flight across processes
  through a :class:`TokenLease`.
- :func:`build_authorization_url`, :func:`pkce_pair`, :func:`exchange_code`,
  :func:`start_device_flow` and :func:`poll_device_token` obtain the first token pair.
"""

from ccasync._requestor import TokenSource
from ccasync.auth._endpoint import TokenRequestPacer
from ccasync.auth._grants import (
    DEFAULT_AUTHORIZE_URL,
    DEFAULT_DEVICE_URL,
    DEFAULT_TOKEN_URL,
    DeviceAuthorization,
    PKCEPair,
    build_authorization_url,
    exchange_code,
    pkce_pair,
    poll_device_token,
    start_device_flow,
)
from ccasync.auth._refresher import OAuth2Refresher, StaticToken
from ccasync.auth._stores import (
    FileTokenStore,
    MemoryTokenStore,
    SharedTokenStore,
    TokenLease,
    TokenStore,
)
from ccasync.auth._token import OAuth2Token, jwt_expiry

__all__ = [
    "DEFAULT_AUTHORIZE_URL",
    "DEFAULT_DEVICE_URL",
    "DEFAULT_TOKEN_URL",
    "DeviceAuthorization",
    "FileTokenStore",
    "MemoryTokenStore",
    "OAuth2Refresher",
    "OAuth2Token",
    "PKCEPair",
    "SharedTokenStore",
    "StaticToken",
    "TokenLease",
    "TokenRequestPacer",
    "TokenSource",
    "TokenStore",
    "build_authorization_url",
    "exchange_code",
    "jwt_expiry",
    "pkce_pair",
    "poll_device_token",
    "start_device_flow",
]
