"""cc.campaigns A/B tests on a fake transport: create, get, delete and the documented rules."""

from __future__ import annotations

import pytest

from ccasync.errors import ValidationError
from ccasync.models.campaigns import ABTestData
from ccasync.testing import FakeTransport
from tests.resources.recorded import answers, body_of, client, line

AID = "98edac88-f4bc-408c-9e64-acd890384231"


async def test_abtest_create_get_delete() -> None:
    """create_abtest POSTs the test, get_abtest reads it, delete_abtest DELETEs (204)."""
    test = ABTestData(alternative_subject="B", test_size=30, winner_wait_duration=24)
    sent = {"alternative_subject": "B", "test_size": 30, "winner_wait_duration": 24}
    ft = answers((201, sent), (200, sent), (204, None))
    async with client(ft) as cc:
        made = await cc.campaigns.create_abtest(AID, test)
        got = await cc.campaigns.get_abtest(AID)
        await cc.campaigns.delete_abtest(AID)
    base = f"/emails/activities/{AID}/abtest"
    assert [line(r) for r in ft.requests] == [f"POST {base}", f"GET {base}", f"DELETE {base}"]
    assert body_of(ft.requests[0]) == sent
    assert made == got


@pytest.mark.parametrize(
    ("size", "wait", "field"),
    [(4, 24, "test_size"), (51, 24, "test_size"), (30, 36, "winner_wait_duration")],
)
async def test_abtest_rules_are_checked(size: int, wait: int, field: str) -> None:
    """test_size 5-50 and winner_wait_duration 6/12/24/48 are checked before sending."""
    test = ABTestData(alternative_subject="B", test_size=size, winner_wait_duration=wait)
    async with client(FakeTransport(responses=[])) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.campaigns.create_abtest(AID, test)
    assert caught.value.field == field
