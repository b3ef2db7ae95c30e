"""cc.contacts end to end against the simulator on loopback."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ccasync.errors import ConflictError, NotFoundError, ValidationError
from ccasync.models.contacts import (
    ContactCustomField,
    EmailAddress,
    NewContact,
    PhoneNumber,
    StreetAddress,
)


def person(email: str, **more: Any) -> NewContact:
    """A contact to create by the account."""
    return NewContact(
        email_address=EmailAddress(address=email, permission_to_send="implicit"),
        create_source="Account",
        **more,
    )


async def test_create_get_update_delete(sim_client: Any) -> None:
    """The whole single-contact life cycle, with sub-resources and revival by PUT."""
    cc = sim_client
    lst = await cc.lists.create("Buyers")
    field = await cc.custom_fields.create("Shoe size")
    made = await cc.contacts.create(
        person(
            "ada@example.com",
            first_name="Ada",
            list_memberships=[lst.list_id],
            custom_fields=[ContactCustomField(custom_field_id=field.custom_field_id, value="38")],
            phone_numbers=[PhoneNumber(phone_number="555-0100", kind="mobile")],
            street_addresses=[StreetAddress(kind="home", city="London")],
        )
    )
    assert made.contact_id is not None
    got = await cc.contacts.get(
        made.contact_id, include=["list_memberships", "custom_fields", "phone_numbers"]
    )
    assert got.list_memberships == [lst.list_id]
    assert got.custom_fields is not None
    assert got.custom_fields[0].value == "38"
    assert got.phone_numbers is not None
    assert got.phone_numbers[0].kind == "mobile"

    got.last_name = "Lovelace"
    got.update_source = "Account"
    updated = await cc.contacts.update(got)
    assert (updated.first_name, updated.last_name) == ("Ada", "Lovelace")
    again = await cc.contacts.get(made.contact_id, include=["list_memberships"])
    assert again.list_memberships == [lst.list_id]

    await cc.contacts.delete(made.contact_id)
    assert await cc.contacts.find_by_email("nobody@example.com") is None
    deleted = await cc.contacts.find_by_email("ada@example.com")
    assert deleted is not None
    assert deleted.deleted_at is not None


async def test_create_duplicate_email_names_existing_contact(sim_client: Any) -> None:
    """A second create with the same email is a ConflictError carrying the first contact's id."""
    first = await sim_client.contacts.create(person("dup@example.com", first_name="One"))
    with pytest.raises(ConflictError) as caught:
        await sim_client.contacts.create(person("dup@example.com", first_name="Two"))
    assert caught.value.existing_id == first.contact_id


async def test_unknown_contact_is_not_found(sim_client: Any) -> None:
    """A well-formed but unknown id is a NotFoundError from the server."""
    with pytest.raises(NotFoundError):
        await sim_client.contacts.get("00000000-0000-4000-8000-000000000000")


async def test_sign_up_form_creates_then_updates(sim_client: Any) -> None:
    """sign_up_form creates (201) then updates (200) the same contact, appending lists."""
    cc = sim_client
    one = await cc.lists.create("Newsletter")
    two = await cc.lists.create("Offers")
    first = await cc.contacts.sign_up_form(
        email_address="sign@example.com", list_memberships=[one.list_id], first_name="Sig"
    )
    second = await cc.contacts.sign_up_form(
        email_address="sign@example.com", list_memberships=[two.list_id]
    )
    assert (first.created, second.created) == (True, False)
    assert first.contact_id == second.contact_id
    contact = await cc.contacts.get(first.contact_id, include=["list_memberships"])
    assert sorted(contact.list_memberships or []) == sorted([one.list_id, two.list_id])
    assert contact.email_address is not None
    assert contact.email_address.permission_to_send in ("explicit", "pending_confirmation")


async def test_counts_and_iter_all_filters(sim_client: Any) -> None:
    """counts adds up; iter_all pages with a small limit and filters by list, email, dates."""
    cc = sim_client
    lst = await cc.lists.create("Club")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    for i in range(5):
        await cc.contacts.create(
            person(f"p{i}@example.com", first_name=f"P{i}", list_memberships=[lst.list_id])
        )
    await cc.contacts.create(person("outside@example.com", first_name="Out"))
    on_list = [c.first_name async for c in cc.contacts.iter_all(lists=[lst.list_id], limit=2)]
    by_email = [c.first_name async for c in cc.contacts.iter_all(email="p3@example.com")]
    recent = [c async for c in cc.contacts.iter_all(created_after=start, limit=500)]
    counts = await cc.contacts.counts(include_new_subscriber=True)
    assert sorted(on_list) == ["P0", "P1", "P2", "P3", "P4"]
    assert by_email == ["P3"]
    assert len(recent) == 6
    assert counts.total == 6
    assert counts.implicit == 6


async def test_unsubscribe_by_put_then_resubscribe(sim_client: Any) -> None:
    """An unsubscribed contact can be sent the one-time re-opt-in email."""
    cc = sim_client
    lst = await cc.lists.create("Regulars")
    made = await cc.contacts.create(person("gone@example.com", first_name="Gone"))
    assert made.contact_id is not None
    assert made.email_address is not None
    made.email_address.permission_to_send = "unsubscribed"
    made.email_address.opt_out_reason = "too many emails"
    made.update_source = "Account"
    await cc.contacts.update(made)
    unsubscribed = [c.contact_id async for c in cc.contacts.iter_all(status="unsubscribed")]
    assert unsubscribed == [made.contact_id]
    await cc.contacts.resubscribe(made.contact_id, [lst.list_id])


async def test_update_revives_a_deleted_contact(sim_client: Any) -> None:
    """update() of a deleted record revives it with update_source Account; Contact is refused."""
    cc = sim_client
    made = await cc.contacts.create(person("lazarus@example.com", first_name="Laz"))
    await cc.contacts.delete(made.contact_id)
    deleted = await cc.contacts.get(made.contact_id)
    assert deleted.deleted_at is not None
    deleted.update_source = "Contact"
    with pytest.raises(ValidationError, match="update_source"):
        await cc.contacts.update(deleted)
    deleted.update_source = "Account"
    revived = await cc.contacts.update(deleted)
    assert revived.deleted_at is None
    found = await cc.contacts.find_by_email("lazarus@example.com")
    assert found is not None
    assert found.deleted_at is None
