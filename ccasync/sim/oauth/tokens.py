"""OAuth grants of the simulator: access/refresh tokens, authorization codes, device codes.

Access tokens are JWT-like strings (``header.payload.signature``, base64url) whose ``exp`` claim is
24 h of SIMULATED time after issue. Refresh tokens rotate (single use; an older one gives
invalid_grant) or are long-lived (the same value comes back), per API key; both die after 180
idle days.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from typing import Any

import attrs
import orjson

DEFAULT_SCOPES = (
    "contact_data",
    "campaign_data",
    "account_read",
    "account_update",
    "offline_access",
)
CODE_LIFETIME = 300.0
DEVICE_LIFETIME = 600.0


class OAuthError(Exception):
    """An OAuth error answer ``{error, error_description}`` with ``status``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        """Describe the answer."""
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


@attrs.define(slots=True)
class AccessGrant:
    """What an access token stands for; ``expires_at`` None = development token."""

    token: str
    account_id: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float | None
    revoked: bool = False


@attrs.define(slots=True)
class RefreshGrant:
    """A refresh token; ``valid`` False once rotated or revoked."""

    token: str
    account_id: str
    client_id: str
    scopes: frozenset[str]
    last_used: float
    valid: bool = True


@attrs.define(slots=True)
class AuthCode:
    """A single-use authorization code (5 minutes)."""

    code: str
    account_id: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    challenge: str | None
    expires_at: float
    used: bool = False


@attrs.define(slots=True)
class DeviceGrant:
    """A pending device authorization; ``account_id`` is set once the user approved it."""

    device_code: str
    user_code: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    account_id: str | None = None
    redeemed: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def pkce_challenge(verifier: str) -> str:
    """The S256 ``code_challenge`` of ``verifier``."""
    return _b64(hashlib.sha256(verifier.encode()).digest())


class TokenStore:
    """Every grant the simulator issued, looked up by token value."""

    def __init__(self, rng: random.Random, *, lifetime: float, idle_days: int) -> None:
        """Tokens are drawn from ``rng``; ``lifetime`` in seconds, refresh idle expiry in days."""
        self._rng = rng
        self._secret = rng.getrandbits(256).to_bytes(32, "big")
        self.lifetime = lifetime
        self.idle_seconds = idle_days * 86_400.0
        self.access: dict[str, AccessGrant] = {}
        self.refresh: dict[str, RefreshGrant] = {}
        self.codes: dict[str, AuthCode] = {}
        self.devices: dict[str, DeviceGrant] = {}

    def _random(self, nbytes: int = 32) -> str:
        return _b64(self._rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big"))

    def add_dev_token(self, token: str, account_id: str, client_id: str) -> AccessGrant:
        """Register a development token that never expires and carries every scope."""
        grant = AccessGrant(token, account_id, client_id, frozenset(DEFAULT_SCOPES), None)
        self.access[token] = grant
        return grant

    def _jwt(self, grant_claims: dict[str, Any]) -> str:
        header = _b64(orjson.dumps({"kid": "ccasync-sim", "alg": "HS256", "typ": "JWT"}))
        payload = _b64(orjson.dumps(grant_claims))
        signing = f"{header}.{payload}".encode()
        signature = _b64(hmac.new(self._secret, signing, hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    def issue(
        self, account_id: str, client_id: str, scopes: frozenset[str], now: float, mode: str
    ) -> dict[str, Any]:
        """The token endpoint's JSON; a refresh token only with offline_access."""
        expires = now + self.lifetime
        claims = {
            "ver": 1,
            "jti": self._random(12),
            "iss": "https://authz.constantcontact.com/oauth2/default",
            "aud": "https://api.cc.email/v3",
            "iat": int(now),
            "exp": int(expires),
            "cid": client_id,
            "sub": account_id,
            "scp": sorted(scopes),
        }
        token = self._jwt(claims)
        self.access[token] = AccessGrant(token, account_id, client_id, scopes, float(int(expires)))
        body: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self.lifetime),
            "scope": " ".join(sorted(scopes)),
        }
        if "offline_access" in scopes:
            body["refresh_token"] = self._new_refresh(account_id, client_id, scopes, now).token
        return body

    def _new_refresh(
        self, account_id: str, client_id: str, scopes: frozenset[str], now: float
    ) -> RefreshGrant:
        grant = RefreshGrant(self._random(), account_id, client_id, scopes, now)
        self.refresh[grant.token] = grant
        return grant

    def lookup(self, token: str, now: float) -> AccessGrant | None:
        """The live grant of an access token, or None (unknown, revoked, expired)."""
        grant = self.access.get(token)
        if grant is None or grant.revoked:
            return None
        if grant.expires_at is not None and now >= grant.expires_at:
            return None
        return grant

    def use_refresh(self, token: str, client_id: str, now: float, mode: str) -> dict[str, Any]:
        """Exchange a refresh token; rotating mode invalidates it and all older ones."""
        grant = self.refresh.get(token)
        if grant is None or not grant.valid or grant.client_id != client_id:
            raise OAuthError(400, "invalid_grant", "The refresh token is invalid or expired.")
        if now - grant.last_used > self.idle_seconds:
            grant.valid = False
            raise OAuthError(400, "invalid_grant", "The refresh token is invalid or expired.")
        grant.last_used = now
        if mode == "long_lived":
            body = self.issue(
                grant.account_id, client_id, grant.scopes - {"offline_access"}, now, mode
            )
            body["refresh_token"] = grant.token
            body["scope"] = " ".join(sorted(grant.scopes))
            return body
        for other in self.refresh.values():
            if other.account_id == grant.account_id and other.client_id == client_id:
                other.valid = False
        return self.issue(grant.account_id, client_id, grant.scopes, now, mode)

    def revoke_account(self, account_id: str) -> None:
        """Invalidate every access and refresh token of ``account_id`` (dev tokens included)."""
        for access in self.access.values():
            if access.account_id == account_id:
                access.revoked = True
        for refresh in self.refresh.values():
            if refresh.account_id == account_id:
                refresh.valid = False

    def new_code(
        self,
        account_id: str,
        client_id: str,
        redirect_uri: str,
        scopes: frozenset[str],
        challenge: str | None,
        now: float,
    ) -> str:
        """Mint a 5-minute single-use authorization code."""
        code = AuthCode(
            self._random(18),
            account_id,
            client_id,
            redirect_uri,
            scopes,
            challenge,
            now + CODE_LIFETIME,
        )
        self.codes[code.code] = code
        return code.code

    def redeem_code(
        self, code: str, client_id: str, redirect_uri: str, verifier: str | None, now: float
    ) -> AuthCode:
        """Check and consume an authorization code (PKCE S256 when a challenge was given)."""
        grant = self.codes.get(code)
        if grant is None or grant.used or now >= grant.expires_at or grant.client_id != client_id:
            raise OAuthError(400, "invalid_grant", "The authorization code is invalid or expired.")
        if grant.redirect_uri != redirect_uri:
            raise OAuthError(400, "invalid_grant", "The redirect_uri does not match.")
        if grant.challenge is not None and (
            verifier is None or pkce_challenge(verifier) != grant.challenge
        ):
            raise OAuthError(400, "invalid_grant", "PKCE verification failed.")
        grant.used = True
        return grant

    def new_device(self, client_id: str, scopes: frozenset[str], now: float) -> DeviceGrant:
        """Start a device authorization (10 minutes)."""
        letters = "BCDFGHJKLMNPQRSTVWXZ"
        user_code = "".join(self._rng.choice(letters) for _ in range(8))
        user_code = f"{user_code[:4]}-{user_code[4:]}"
        grant = DeviceGrant(self._random(), user_code, client_id, scopes, now + DEVICE_LIFETIME)
        self.devices[grant.device_code] = grant
        return grant

    def approve_device(self, user_code: str, account_id: str) -> None:
        """Record the user's approval of ``user_code``; KeyError if unknown."""
        for grant in self.devices.values():
            if grant.user_code == user_code:
                grant.account_id = account_id
                return
        raise KeyError(user_code)

    def poll_device(self, device_code: str, client_id: str, now: float) -> DeviceGrant:
        """The approved device grant (consumed), or the OAuth error the poll must see."""
        grant = self.devices.get(device_code)
        if grant is None or grant.client_id != client_id or grant.redeemed:
            raise OAuthError(400, "invalid_grant", "The device code is invalid.")
        if now >= grant.expires_at:
            raise OAuthError(400, "expired_token", "The device code has expired.")
        if grant.account_id is None:
            raise OAuthError(400, "authorization_pending", "The user has not yet approved.")
        grant.redeemed = True
        return grant
