"""cc.account.user_privileges on a fake transport."""

from __future__ import annotations

from tests.resources.recorded import answers, client, line


async def test_user_privileges() -> None:
    """user_privileges GETs the privilege list of the token's user."""
    ft = answers((200, [{"privilege_id": 30, "privilege_name": "campaign:create"}]))
    async with client(ft) as cc:
        privileges = await cc.account.user_privileges()
    assert line(ft.requests[0]) == "GET /account/user/privileges"
    assert [p.privilege_name for p in privileges] == ["campaign:create"]
