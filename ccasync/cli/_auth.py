"""``ccasync auth login|status|logout``: get, show and forget an account's token pair.

``login`` runs the device flow (``--device``: no browser needed on this machine) or the
authorization-code flow with PKCE and a loopback redirect (default: a one-shot HTTP listener
on 127.0.0.1 receives the code; the browser is opened unless ``--no-browser``). The new pair
goes to the account's token store (a 0600 file, written atomically) before anything else.
UNCONFIRMED: whether Constant Contact accepts a loopback redirect URI on any port; set
``redirect_port`` and register ``http://127.0.0.1:PORT/callback`` with the application.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import secrets
import webbrowser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ccasync.auth import (
    FileTokenStore,
    OAuth2Token,
    build_authorization_url,
    exchange_code,
    pkce_pair,
    poll_device_token,
    start_device_flow,
)
from ccasync.cli._output import Exit, Output, safe
from ccasync.cli._settings import Account, ApiKey, Settings
from ccasync.errors import APIErrorDetail, AuthenticationError, ConfigError

CALLBACK_PATH = "/callback"
"""Path of the loopback redirect URI (``http://127.0.0.1:PORT/callback``)."""


def add_parsers(commands: Any, common: dict[str, Any]) -> None:
    """Add ``auth`` and its subcommands to ``commands`` (an argparse subparsers object)."""
    auth = commands.add_parser("auth", help="log in, show or forget an account's token", **common)
    sub = auth.add_subparsers(dest="auth_command", required=True)
    login = sub.add_parser(
        "login",
        help="get a token pair (browser + PKCE, or --device) into the token store",
        **common,
    )
    login.add_argument("--device", action="store_true", help="device flow: enter a code elsewhere")
    login.add_argument(
        "--no-browser", action="store_true", help="print the consent URL, do not open a browser"
    )
    login.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for the consent (300)"
    )
    sub.add_parser("status", help="show the stored token of the account", **common)
    sub.add_parser("logout", help="delete the stored token of the account", **common)


async def run(args: argparse.Namespace, settings: Settings, out: Output) -> Exit:
    """Run ``auth <subcommand>``."""
    account = settings.account(args.account)
    if args.auth_command == "status":
        return await _status(account, out)
    if args.auth_command == "logout":
        return _logout(account, out)
    return await _login(args, account, out)


def _key_of(account: Account) -> ApiKey:
    if account.api_key is None:
        raise ConfigError(
            f"account {account.name!r} has no [api_keys.*] table: `auth login` needs its "
            "client_id (see `ccasync --help` for the configuration file)"
        )
    return account.api_key


async def _login(args: argparse.Namespace, account: Account, out: Output) -> Exit:
    key = _key_of(account)
    if args.timeout <= 0:
        raise ConfigError("--timeout must be > 0 seconds")
    try:
        async with asyncio.timeout(args.timeout):
            if args.device:
                token = await _device_login(key, out)
            else:
                token = await _browser_login(key, out, open_browser=not args.no_browser)
    except TimeoutError:
        raise _refused("timeout", f"no consent within {args.timeout:g} s") from None
    account.token_store.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    await FileTokenStore(account.token_store).save(token)
    out.note(f"logged in: account {safe(account.name)}, token saved to {safe(account.token_store)}")
    if out.as_json:
        out.emit({"ok": True, "account": account.name, **_describe(token, account)})
    else:
        out.line(f"logged in as account {safe(account.name)}")
    return Exit.OK


async def _device_login(key: ApiKey, out: Output) -> OAuth2Token:
    device = await start_device_flow(
        key.client_id, key.scopes, device_url=f"{key.oauth_base}/device/authorize"
    )
    where = device.verification_uri_complete or device.verification_uri
    out.note(f"Open {safe(where)} and enter the code [bold]{safe(device.user_code)}[/bold]")
    return await poll_device_token(
        device, client_id=key.client_id, token_url=f"{key.oauth_base}/token"
    )


async def _browser_login(key: ApiKey, out: Output, *, open_browser: bool) -> OAuth2Token:
    state = secrets.token_urlsafe(24)
    codes: asyncio.Queue[dict[str, list[str]]] = asyncio.Queue()
    server = await asyncio.start_server(
        lambda r, w: _answer_redirect(r, w, codes), "127.0.0.1", key.redirect_port
    )
    async with server:
        port = server.sockets[0].getsockname()[1]
        redirect_uri = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
        pkce = pkce_pair()
        url = build_authorization_url(
            key.client_id,
            redirect_uri,
            key.scopes,
            state,
            pkce.challenge,
            authorize_url=f"{key.oauth_base}/authorize",
        )
        out.note("Open this URL to authorize ccasync:")
        out.err.print(url, markup=False, soft_wrap=True)  # one line, so it stays clickable
        if open_browser:
            webbrowser.open(url)
        query = await codes.get()
    code = _code_from(query, state)
    return await exchange_code(
        code,
        client_id=key.client_id,
        redirect_uri=redirect_uri,
        client_secret=key.client_secret,
        code_verifier=pkce.verifier,
        token_url=f"{key.oauth_base}/token",
    )


def _code_from(query: dict[str, list[str]], state: str) -> str:
    def first(name: str) -> str | None:
        values = query.get(name)
        return values[0] if values else None

    if first("state") != state:
        raise _refused("invalid_state", "the redirect's state does not match (possible CSRF)")
    error = first("error")
    code = first("code")
    if error is not None or code is None:
        reason = first("error_description") or error or "no code in the redirect"
        raise _refused(error or "invalid_request", f"authorization refused: {reason}")
    return code


def _refused(key: str, message: str) -> AuthenticationError:
    return AuthenticationError(400, [APIErrorDetail(key, message)], reauthorize=True)


async def _answer_redirect(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    codes: asyncio.Queue[dict[str, list[str]]],
) -> None:
    """Serve one request of the loopback listener: take the query of ``GET /callback``."""
    try:
        request_line = await asyncio.wait_for(reader.readline(), 10)
        parts = request_line.decode("latin-1").split()
        target = urlsplit(parts[1]) if len(parts) == 3 and parts[0] == "GET" else None
        if target is None or target.path != CALLBACK_PATH:
            status, body = "404 Not Found", "Not the ccasync login callback."
        else:
            status, body = "200 OK", "ccasync: authorization received; you can close this tab."
            codes.put_nowait(parse_qs(target.query))
        payload = body.encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
    except (TimeoutError, ConnectionError, UnicodeError):
        pass  # a stray or broken connection: keep waiting for the real redirect
    finally:
        writer.close()


def _describe(token: OAuth2Token, account: Account) -> dict[str, Any]:
    expires = token.expires_at
    return {
        "token_store": str(account.token_store),
        "expires_at": expires.isoformat() if expires else None,
        "expired": bool(expires and expires <= dt.datetime.now(dt.UTC)),
        "refresh_token": token.refresh_token is not None,
        "scope": token.scope,
    }


async def _status(account: Account, out: Output) -> Exit:
    if account.env_token is not None:
        facts: dict[str, Any] = {"source": "CCASYNC_ACCESS_TOKEN"}
    else:
        token = await FileTokenStore(account.token_store).load()
        if token is None:
            out.error(
                f"account {account.name!r}: no token in {account.token_store}",
                f"run `ccasync auth login --account {account.name}`",
            )
            if out.as_json:
                out.emit({"ok": False, "exit_code": int(Exit.AUTH), "account": account.name})
            return Exit.AUTH
        facts = {"source": "token store", **_describe(token, account)}
    if out.as_json:
        out.emit({"ok": True, "account": account.name, **facts})
    else:
        out.table(f"Account {account.name}", ["", "value"], [[k, v] for k, v in facts.items()])
    return Exit.OK


def _logout(account: Account, out: Output) -> Exit:
    existed = account.token_store.is_file()
    account.token_store.unlink(missing_ok=True)
    message = "token deleted" if existed else "no token was stored"
    out.note(f"{message}: {safe(account.token_store)}")
    if out.as_json:
        out.emit({"ok": True, "account": account.name, "deleted": existed})
    else:
        out.line(f"{message} for account {safe(account.name)}")
    return Exit.OK
