"""Token providers: how a Client gets (and renews) its bearer token.

:class:`StaticToken` wraps a token you already have. (The OAuth2 refreshing provider, token
stores and the PKCE helpers live here too.)
"""

from __future__ import annotations

from ccasync._transport import Transport
from ccasync.errors import APIErrorDetail, AuthenticationError, ConfigError


class StaticToken:
    """A fixed access token; a 401 is final (there is nothing to refresh).

    Raises :class:`ConfigError` for an empty token. The token never appears in ``repr``.
    """

    def __init__(self, access_token: str) -> None:
        if not isinstance(access_token, str) or not access_token.strip():
            raise ConfigError("access_token must be a non-empty string")
        self._token = access_token.strip()

    def __repr__(self) -> str:
        return "StaticToken(access_token='***')"

    async def token(self) -> str:
        """Return the token."""
        return self._token

    async def on_unauthorized(self, rejected: str) -> bool:
        """Raise :class:`AuthenticationError`: a static token cannot be renewed."""
        raise AuthenticationError(
            401,
            [APIErrorDetail("unauthorized", "the static access token was rejected; get a new one")],
            reauthorize=True,
        )

    def bind_transport(self, transport: Transport) -> None:
        """Nothing to bind: a static token never calls the token endpoint."""
