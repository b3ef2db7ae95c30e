"""V2 → V3 id xrefs of contacts and lists on a fake transport: CSV ids, pairs, local checks."""

from __future__ import annotations

import pytest

from ccasync.errors import ValidationError
from ccasync.testing import FakeTransport, query_of
from tests.resources.recorded import answers, client, line

CID = "a2fdc285-f4bc-408c-9e64-f3f89038ec82"


async def test_xrefs_send_csv_and_read_pairs() -> None:
    """Contact and list xrefs send the V2 ids as one CSV value and return the pairs."""
    ft = answers(
        (200, {"xrefs": [{"sequence_id": "1", "contact_id": CID}]}),
        (200, {"xrefs": [{"sequence_id": "9", "list_id": CID}]}),
    )
    async with client(ft) as cc:
        contacts = await cc.contacts.id_xrefs(["1", "2"])
        lists = await cc.lists.id_xrefs(["9"])
    assert line(ft.requests[0]) == "GET /contacts/contact_id_xrefs"
    assert query_of(ft.requests[0]) == {"sequence_ids": "1,2"}
    assert line(ft.requests[1]) == "GET /contact_lists/list_id_xrefs"
    assert contacts[0].contact_id == CID
    assert lists[0].list_id == CID


@pytest.mark.parametrize("ids", [[], ["1,2"], [""], "12", ["x"] * 501])
async def test_xrefs_refuse_bad_id_lists(ids: list[str]) -> None:
    """Empty, comma-holding, blank, bare-string or >500 id lists are refused locally."""
    async with client(FakeTransport(responses=[])) as cc:
        with pytest.raises(ValidationError, match="sequence_ids"):
            await cc.contacts.id_xrefs(ids)
