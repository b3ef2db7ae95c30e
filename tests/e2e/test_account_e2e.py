"""cc.account end to end against the simulator on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from ccasync.errors import ConflictError
from ccasync.models.account import PhysicalAddress


async def test_summary_read_and_partial_update(sim_client: Any) -> None:
    """get_summary returns the account; update_summary changes only the given fields."""
    before = await sim_client.account.get_summary(["physical_address"])
    after = await sim_client.account.update_summary(organization_name="Renamed Org")
    again = await sim_client.account.get_summary()
    assert before.encoded_account_id
    assert before.physical_address is not None
    assert after.organization_name == "Renamed Org"
    assert again.organization_name == "Renamed Org"
    assert again.contact_email == before.contact_email


async def test_emails_senders_and_add(sim_client: Any) -> None:
    """Account emails list, confirmed senders and a new UNCONFIRMED address.

    The simulator "clicks" the confirmation link at once for @example.com addresses only.
    """
    senders = await sim_client.account.confirmed_senders()
    added = await sim_client.account.add_email("new-sender@example.org")
    await sim_client.account.add_email("clicked@example.com")
    senders_now = await sim_client.account.confirmed_senders()
    unconfirmed = await sim_client.account.list_emails(confirm_status="UNCONFIRMED")
    everything = [e.email_address async for e in sim_client.account.iter_emails()]
    assert senders
    assert added.confirm_status == "UNCONFIRMED"
    assert "new-sender@example.org" in [e.email_address for e in unconfirmed]
    assert set(senders_now) == {*senders, "clicked@example.com"}
    assert set(senders_now) | {"new-sender@example.org"} <= set(everything)
    with pytest.raises(ConflictError):
        await sim_client.account.add_email("new-sender@example.org")


async def test_physical_address_set_and_replace(sim_client: Any) -> None:
    """set_physical_address replaces an existing address (POST 409 then PUT) and reads back."""
    address = PhysicalAddress(
        address_line1="1 Harbor Way",
        city="Portland",
        state_code="ME",
        postal_code="04101",
        country_code="US",
    )
    saved = await sim_client.account.set_physical_address(address)
    current = await sim_client.account.get_physical_address()
    assert saved.address_line1 == "1 Harbor Way"
    assert (current.city, current.postal_code) == ("Portland", "04101")
