"""Partner authentication: a client-credentials JWT plus the ``x-api-key`` header.

The real partner token comes from Amazon Cognito
(``https://v3api-partner.auth.us-east-1.amazoncognito.com/oauth2/token``, the spec's
``ctctPartnerAuthorizer``); the simulator serves the same grant at ``POST /partner/oauth2/token``
(UNCONFIRMED details: Basic or form client credentials accepted, scope
``v3api/general.partner``, lifetime ``SimConfig.partner_token_lifetime``, Cognito-style error
bodies ``{"error": ...}``). Every ``/v3/partner/*`` request needs both the header and a live token
of the same partner: a missing or wrong key is 403, a missing or expired token 401 (bodies as the
API's other 401/403, UNCONFIRMED).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import random

import attrs
import orjson
from aiohttp import web

from .._config import SimConfig
from .._http import ApiFailure, json_response
from .records import Partner

SCOPE = "v3api/general.partner"
TOKEN_PATH = "/partner/oauth2/token"


@attrs.define(slots=True)
class PartnerToken:
    """What a partner access token stands for."""

    api_key: str
    expires_at: float


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class PartnerRegistry:
    """Every partner of the simulator (the config's default one first) and their tokens."""

    def __init__(self, config: SimConfig) -> None:
        """Register the default partner of ``config``."""
        self.partners: dict[str, Partner] = {}
        self.tokens: dict[str, PartnerToken] = {}
        self.lifetime = config.partner_token_lifetime
        self._rng = random.Random(f"partner-{config.seed}")
        self._secret = self._rng.randbytes(32)
        self.add(config.partner_api_key, config.partner_client_id, config.partner_client_secret)

    def add(self, api_key: str, client_id: str, client_secret: str) -> Partner:
        """Register a partner; ValueError when the key or client id is taken."""
        if api_key in self.partners or any(
            p.client_id == client_id for p in self.partners.values()
        ):
            raise ValueError(f"partner {api_key!r} / {client_id!r} already exists")
        partner = Partner(api_key, client_id, client_secret)
        self.partners[api_key] = partner
        return partner

    def owner(self, account_id: str) -> Partner | None:
        """The partner that provisioned ``account_id`` (None for other accounts)."""
        return next((p for p in self.partners.values() if account_id in p.clients), None)

    def issue(self, partner: Partner, now: float) -> dict[str, object]:
        """A token-endpoint answer for ``partner``."""
        claims = {
            "sub": partner.client_id,
            "client_id": partner.client_id,
            "scope": SCOPE,
            "token_use": "access",
            "iat": int(now),
            "exp": int(now + self.lifetime),
            "jti": f"{self._rng.getrandbits(64):016x}",
        }
        head = _b64(orjson.dumps({"alg": "HS256", "kid": "ccasync-sim-partner", "typ": "JWT"}))
        body = _b64(orjson.dumps(claims))
        signature = _b64(hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
        token = f"{head}.{body}.{signature}"
        self.tokens[token] = PartnerToken(partner.api_key, now + self.lifetime)
        return {"access_token": token, "expires_in": int(self.lifetime), "token_type": "Bearer"}

    def grant(self, request: web.Request, now: float) -> Partner:
        """The partner a ``/v3/partner`` request authenticates as, or the 403/401."""
        partner = self.partners.get(request.headers.get("x-api-key", "")[:200])
        if partner is None:
            raise ApiFailure(
                403, "forbidden", "Forbidden: a valid x-api-key is required.", "object"
            )
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        found = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if found is None or found.expires_at <= now or found.api_key != partner.api_key:
            raise ApiFailure(401, "unauthorized", "Unauthorized", "object")
        return partner


def _credentials(request: web.Request, form: dict[str, str]) -> tuple[str, str]:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _oauth_error(status: int, error: str) -> web.Response:
    return json_response({"error": error}, status)


async def partner_token(request: web.Request) -> web.Response:
    """POST /partner/oauth2/token: ``grant_type=client_credentials`` -> a partner JWT."""
    registry: PartnerRegistry = request["state"].partners
    raw = (
        await request.post()
        if request.content_type.startswith(("application/x-www", "multipart/"))
        else {}
    )
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type")
    scope = form.get("scope")
    if scope is not None and scope != SCOPE:
        return _oauth_error(400, "invalid_scope")
    client_id, secret = _credentials(request, form)
    partner = next((p for p in registry.partners.values() if p.client_id == client_id), None)
    if partner is None or not hmac.compare_digest(partner.client_secret, secret):
        return _oauth_error(401, "invalid_client")
    return json_response(registry.issue(partner, request["state"].now()))
