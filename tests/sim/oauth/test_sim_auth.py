"""Authentication and OAuth flows of the simulator."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ccasync.sim.oauth.tokens import pkce_challenge

UNAUTHORIZED = {"error_key": "unauthorized", "error_message": "Unauthorized"}


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.mark.parametrize("token", ["", "nonsense"])
async def test_missing_or_unknown_token_is_the_documented_401(api: Any, token: str) -> None:
    """No token or an unknown one gives 401 with the single-object body."""
    status, body = await api.get("/contacts", token=token)
    assert (status, body) == (401, UNAUTHORIZED)


async def test_issued_access_token_expires_after_24_simulated_hours(api: Any, fsim: Any) -> None:
    """An OAuth access token dies after 24 simulated hours; the dev token never expires."""
    tokens = fsim.issue_tokens(fsim.account_id)
    assert tokens["expires_in"] == 86_400
    assert tokens["token_type"] == "Bearer"
    assert (await api.get("/account/summary", token=tokens["access_token"]))[0] == 200
    fsim.clock.advance(86_400)
    assert (await api.get("/account/summary", token=tokens["access_token"])) == (401, UNAUTHORIZED)
    assert (await api.get("/account/summary"))[0] == 200


async def test_access_token_is_jwt_like_with_exp_claim(fsim: Any) -> None:
    """The access token has three base64url parts and an exp 24 h after issue."""
    import orjson

    tokens = fsim.issue_tokens(fsim.account_id)
    payload = tokens["access_token"].split(".")[1]
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["exp"] - claims["iat"] == 86_400
    assert claims["cid"] == fsim.client_id


async def test_revoked_tokens_get_401(api: Any, fsim: Any) -> None:
    """revoke_tokens makes every token of the account (dev token too) answer 401."""
    other = fsim.add_account(name="Other")
    fsim.revoke_tokens(fsim.account_id)
    assert (await api.get("/contacts"))[0] == 401
    assert (await api.get("/contacts", token=other.token))[0] == 200


async def test_missing_scope_is_403_single_object(api: Any, fsim: Any) -> None:
    """A token without campaign_data cannot read /emails (403, single-object body)."""
    tokens = fsim.issue_tokens(fsim.account_id, scopes=("contact_data",))
    status, body = await api.get("/account/summary", token=tokens["access_token"])
    assert status == 403
    assert body["error_key"] == "access_denied"


async def test_no_refresh_token_without_offline_access(fsim: Any) -> None:
    """Without offline_access the token response has no refresh_token."""
    assert "refresh_token" not in fsim.issue_tokens(fsim.account_id, scopes=("contact_data",))


async def test_code_exchange_with_basic_auth_in_query_string(api: Any, fsim: Any) -> None:
    """authorization_code with HTTP Basic and parameters in the query string yields tokens."""
    code = fsim.authorize(
        fsim.account_id,
        client_id=fsim.client_id,
        redirect_uri="https://app/cb",
        scope="contact_data offline_access",
    )
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://app/cb"}
    status, body, _ = await api.call(
        "POST",
        f"{fsim.oauth_base}/token",
        token="",
        params=params,
        headers=_basic(fsim.client_id, fsim.client_secret),
    )
    assert status == 200
    assert body["refresh_token"]
    assert (await api.get("/contacts", token=body["access_token"]))[0] == 200
    fsim.clock.advance(1.5)
    again, body2, _ = await api.call(
        "POST",
        f"{fsim.oauth_base}/token",
        token="",
        params=params,
        headers=_basic(fsim.client_id, fsim.client_secret),
    )
    assert (again, body2["error"]) == (400, "invalid_grant")


async def test_pkce_exchange_with_form_body_and_bad_verifier(api: Any, fsim: Any) -> None:
    """PKCE: a wrong verifier is invalid_grant; the right one (form body, no secret) works."""
    verifier = "v" * 50
    url = f"{fsim.oauth_base}/token"
    codes = [
        fsim.authorize(
            fsim.account_id,
            client_id=fsim.client_id,
            redirect_uri="http://x/cb",
            scope="contact_data",
            code_challenge=pkce_challenge(verifier),
        )
        for _ in range(2)
    ]
    form = {
        "grant_type": "authorization_code",
        "client_id": fsim.client_id,
        "redirect_uri": "http://x/cb",
    }
    bad = await api.call(
        "POST", url, token="", data={**form, "code": codes[0], "code_verifier": "w" * 50}
    )
    assert (bad[0], bad[1]["error"]) == (400, "invalid_grant")
    fsim.clock.advance(1.5)
    good = await api.call(
        "POST", url, token="", data={**form, "code": codes[1], "code_verifier": verifier}
    )
    assert good[0] == 200
    assert "refresh_token" not in good[1]


async def test_rotating_and_long_lived_refresh_over_http(api: Any, fsim: Any) -> None:
    """Rotating: reuse of the old refresh token is invalid_grant; long-lived: same token back."""
    url = f"{fsim.oauth_base}/token"
    first = fsim.issue_tokens(fsim.account_id)
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    auth = _basic(fsim.client_id, fsim.client_secret)
    ok = await api.call("POST", url, token="", data=form, headers=dict(auth))
    assert ok[0] == 200
    assert ok[1]["refresh_token"] != first["refresh_token"]
    fsim.clock.advance(1.5)
    reuse = await api.call("POST", url, token="", data=form, headers=dict(auth))
    assert (reuse[0], reuse[1]["error"]) == (400, "invalid_grant")
    fsim.add_api_key("long", client_secret="s", refresh_tokens="long_lived")
    handle = fsim.add_account("long", name="L")
    lived = fsim.issue_tokens(handle.account_id)
    form = {"grant_type": "refresh_token", "refresh_token": lived["refresh_token"]}
    for _ in range(2):
        fsim.clock.advance(1.5)
        got = await api.call("POST", url, token="", data=form, headers=_basic("long", "s"))
        assert got[0] == 200
        assert got[1]["refresh_token"] == lived["refresh_token"]


async def test_token_endpoint_allows_one_request_per_second(api: Any, fsim: Any) -> None:
    """Two token calls in the same simulated second: the second is a 429 (OAuth error body)."""
    url = f"{fsim.oauth_base}/token"
    data = {"grant_type": "refresh_token", "refresh_token": "nope"}
    first = await api.call(
        "POST", url, token="", data=data, headers=_basic(fsim.client_id, fsim.client_secret)
    )
    second = await api.call(
        "POST", url, token="", data=data, headers=_basic(fsim.client_id, fsim.client_secret)
    )
    assert first[0] == 400
    assert second[0] == 429
    assert "error" in second[1]


async def test_device_flow_pending_until_approved(api: Any, fsim: Any) -> None:
    """Device flow: authorization_pending until approve_device, then tokens (with refresh)."""
    started = await api.call(
        "POST",
        f"{fsim.oauth_base}/device/authorize",
        token="",
        data={"client_id": fsim.client_id, "scope": "contact_data offline_access"},
    )
    assert started[0] == 200
    assert started[1]["verification_uri_complete"].endswith(started[1]["user_code"])
    poll = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": started[1]["device_code"],
        "client_id": fsim.client_id,
    }
    fsim.clock.advance(1.5)
    pending = await api.call("POST", f"{fsim.oauth_base}/token", token="", data=poll)
    assert (pending[0], pending[1]["error"]) == (400, "authorization_pending")
    fsim.approve_device(started[1]["user_code"], fsim.account_id)
    fsim.clock.advance(1.5)
    done = await api.call("POST", f"{fsim.oauth_base}/token", token="", data=poll)
    assert done[0] == 200
    assert done[1]["refresh_token"]


async def test_authorize_endpoint_redirects_with_code_and_state(api: Any, fsim: Any) -> None:
    """GET authorize consents at once and redirects to redirect_uri with code and state."""
    params = {
        "client_id": fsim.client_id,
        "redirect_uri": "https://app/cb",
        "response_type": "code",
        "scope": "contact_data",
        "state": "xyz",
    }
    status, _, headers = await api.call(
        "GET", f"{fsim.oauth_base}/authorize", token="", params=params, allow_redirects=False
    )
    assert status == 302
    assert headers["Location"].startswith("https://app/cb?code=")
    assert "state=xyz" in headers["Location"]
