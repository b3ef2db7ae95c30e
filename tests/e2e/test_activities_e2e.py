"""cc.activities end to end against the simulator on loopback: every bulk endpoint."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from ccasync.errors import NotFoundError
from ccasync.models.activities import JsonImportContact
from tests.e2e.test_contacts_segment_e2e import create_segment

FAST = {"initial": 0.01, "timeout": 20}


@pytest.fixture(autouse=True)
def fast_clock(sim: Any) -> None:
    """Run the simulator's clock 20x faster so that bulk activities end in milliseconds."""
    sim.clock.set_scale(20.0)


async def members(cc: Any, list_id: str) -> list[str]:
    """Emails of the contacts on ``list_id``, sorted."""
    found = [c async for c in cc.contacts.iter_all(lists=[list_id])]
    return sorted(c.email_address.address for c in found)


async def test_json_import_with_custom_fields_then_wait(sim_client: Any) -> None:
    """A JSON import upserts contacts with cf:<name> values into the lists."""
    cc = sim_client
    lst = await cc.lists.create("Imported")
    field = await cc.custom_fields.create("Shoe size")
    rows = [
        JsonImportContact(email="a@example.com", first_name="A", custom_fields={"Shoe_size": "41"}),
        {"email": "b@example.com", "last_name": "B", "home_city": "Oslo"},
    ]
    job = await cc.activities.import_contacts(rows, [lst.list_id])
    assert job.state in ("initialized", "processing")
    done = await cc.activities.wait(job.activity_id, **FAST)
    assert done.state == "completed"
    assert done.status is not None
    assert done.status.person_count == 2
    assert await members(cc, lst.list_id) == ["a@example.com", "b@example.com"]
    a = await cc.contacts.find_by_email("a@example.com", include=["custom_fields"])
    assert a is not None
    assert a.custom_fields is not None
    assert [(f.custom_field_id, f.value) for f in a.custom_fields] == [
        (field.custom_field_id, "41")
    ]


async def test_csv_import_multipart(sim_client: Any) -> None:
    """A CSV upload (multipart) imports its rows into two lists."""
    cc = sim_client
    one = await cc.lists.create("CSV one")
    two = await cc.lists.create("CSV two")
    data = b"email,first_name\nc1@example.com,C1\nc2@example.com,C2\n"
    job = await cc.activities.import_csv(data, [one.list_id, two.list_id], file_name="c.csv")
    done = await cc.activities.wait(job, **FAST)
    assert done.state == "completed"
    assert await members(cc, one.list_id) == ["c1@example.com", "c2@example.com"]
    assert await members(cc, two.list_id) == ["c1@example.com", "c2@example.com"]


async def test_membership_add_and_remove(sim_client: Any) -> None:
    """Add and remove list memberships by list (with exclude) and by contact ids."""
    cc = sim_client
    source = await cc.lists.create("Source")
    target = await cc.lists.create("Target")
    rows = [{"email": f"m{i}@example.com"} for i in range(4)]
    await cc.activities.wait(await cc.activities.import_contacts(rows, [source.list_id]), **FAST)
    first = await cc.contacts.find_by_email("m0@example.com")
    assert first is not None

    added = await cc.activities.add_list_memberships(
        [target.list_id], source_list_ids=[source.list_id], exclude_contact_ids=[first.contact_id]
    )
    assert (await cc.activities.wait(added, **FAST)).state == "completed"
    assert await members(cc, target.list_id) == [
        "m1@example.com",
        "m2@example.com",
        "m3@example.com",
    ]

    removed = await cc.activities.remove_list_memberships(
        [target.list_id], contact_ids=[first.contact_id]
    )
    await cc.activities.wait(removed, **FAST)
    m1 = await cc.contacts.find_by_email("m1@example.com")
    assert m1 is not None
    removed = await cc.activities.remove_list_memberships(
        [target.list_id], contact_ids=[m1.contact_id]
    )
    await cc.activities.wait(removed, **FAST)
    assert await members(cc, target.list_id) == ["m2@example.com", "m3@example.com"]


async def test_contact_and_list_deletes(sim_client: Any) -> None:
    """Delete contacts by id and by list, then delete lists in bulk."""
    cc = sim_client
    source = await cc.lists.create("Source")
    target = await cc.lists.create("Target")
    rows = [{"email": f"d{i}@example.com"} for i in range(3)]
    await cc.activities.wait(await cc.activities.import_contacts(rows, [source.list_id]), **FAST)
    await cc.activities.wait(
        await cc.activities.import_contacts(rows[1:], [target.list_id]), **FAST
    )
    first = await cc.contacts.find_by_email("d0@example.com")
    assert first is not None

    gone = await cc.activities.delete_contacts(contact_ids=[first.contact_id])
    await cc.activities.wait(gone, **FAST)
    assert "d0@example.com" not in await members(cc, source.list_id)

    by_list = await cc.activities.delete_contacts(list_ids=[target.list_id])
    await cc.activities.wait(by_list, **FAST)
    assert await members(cc, target.list_id) == []

    dropped = await cc.activities.delete_lists([source.list_id, target.list_id])
    done = await cc.activities.wait(dropped, **FAST)
    assert done.state == "completed"
    with pytest.raises(NotFoundError):
        await cc.lists.get(source.list_id)


async def test_tag_bulk_operations_and_field_delete(sim_client: Any) -> None:
    """Tag and untag contacts in bulk, delete tags and custom fields in bulk."""
    cc = sim_client
    lst = await cc.lists.create("Tagged")
    await cc.activities.wait(
        await cc.activities.import_contacts(
            [{"email": "t1@example.com"}, {"email": "t2@example.com"}], [lst.list_id]
        ),
        **FAST,
    )
    tag = await cc.tags.create("Bulk")
    await cc.activities.wait(
        await cc.activities.add_tags([tag.tag_id], list_ids=[lst.list_id]), **FAST
    )
    assert (await cc.tags.get(tag.tag_id, include_count=True)).contacts_count == 2
    t1 = await cc.contacts.find_by_email("t1@example.com")
    assert t1 is not None
    await cc.activities.wait(
        await cc.activities.remove_tags([tag.tag_id], contact_ids=[t1.contact_id]), **FAST
    )
    assert (await cc.tags.get(tag.tag_id, include_count=True)).contacts_count == 1
    await cc.activities.wait(await cc.activities.delete_tags([tag.tag_id]), **FAST)
    with pytest.raises(NotFoundError):
        await cc.tags.get(tag.tag_id)

    field = await cc.custom_fields.create("Temporary")
    await cc.activities.wait(
        await cc.activities.delete_custom_fields([field.custom_field_id]), **FAST
    )
    with pytest.raises(NotFoundError):
        await cc.custom_fields.get(field.custom_field_id)


async def test_export_and_streaming_download(sim_client: Any) -> None:
    """An export activity completes with a results link whose CSV streams back in chunks."""
    cc = sim_client
    lst = await cc.lists.create("Export me")
    rows = [{"email": f"e{i}@example.com", "first_name": f"E{i}"} for i in range(30)]
    await cc.activities.wait(await cc.activities.import_contacts(rows, [lst.list_id]), **FAST)
    job = await cc.activities.export_contacts(
        list_ids=[lst.list_id], fields=["email_address", "first_name"]
    )
    done = await cc.activities.wait(job, **FAST)
    assert done.results_href is not None
    async with cc.activities.download_export(done) as chunks:
        body = b"".join([chunk async for chunk in chunks])
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    emails = sorted(row.get("email_address") or row.get("Email address") or "" for row in table)
    assert len(table) == 30
    assert emails[0] == "e0@example.com"


async def test_get_iter_all_and_wait(sim_client: Any) -> None:
    """get and iter_all see the activities just created; wait returns a terminal state."""
    cc = sim_client
    lst = await cc.lists.create("Status")
    job = await cc.activities.import_contacts([{"email": "s@example.com"}], [lst.list_id])
    seen = await cc.activities.get(job.activity_id)
    assert seen.activity_id == job.activity_id
    done = await cc.activities.wait(job, **FAST)
    assert done.done
    assert done.percent_done == 100
    listed = [a.activity_id async for a in cc.activities.iter_all(limit=1)]
    completed = [a.activity_id async for a in cc.activities.iter_all(state="completed")]
    assert job.activity_id in listed
    assert job.activity_id in completed


async def test_segment_sources_and_filtered_exports(sim_client: Any, sim: Any) -> None:
    """add_list_memberships(segment_id=) and export_contacts(segment_id= / new_subscriber+lists)."""
    cc = sim_client
    src, dst = await cc.lists.create("Seg source"), await cc.lists.create("Seg target")
    rows = [{"email": f"g{i}@example.com"} for i in range(3)]
    await cc.activities.wait(await cc.activities.import_contacts(rows, [src.list_id]), **FAST)
    segment_id = await create_segment(sim, "On source", src.list_id)
    job = await cc.activities.add_list_memberships([dst.list_id], segment_id=segment_id)
    await cc.activities.wait(job, **FAST)
    assert await members(cc, dst.list_id) == [f"g{i}@example.com" for i in range(3)]
    for selectors in (
        {"segment_id": segment_id},
        {"list_ids": [src.list_id], "new_subscriber": True},
    ):
        done = await cc.activities.wait(await cc.activities.export_contacts(**selectors), **FAST)
        async with cc.activities.download_export(done) as chunks:
            body = b"".join([chunk async for chunk in chunks])
        table = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
        assert sorted(row["email_address"] for row in table) == [r["email"] for r in rows]
