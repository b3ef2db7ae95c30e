"""The welcome flow against the simulator: each sign-up gets exactly one welcome with its own link.

Needs the simulator's automations (``/v3/automations/workflows`` that really run, and its outbox).
"""

from __future__ import annotations

from typing import Any

from ccasync.ops import WelcomeEmail, ensure_welcome_flow

EMAIL = WelcomeEmail(
    subject="Welcome to the shop",
    from_name="Shop",
    from_email="owner@example.com",
    html_content='<html><body>[[trackingImage]]<a href="$link">Activate</a></body></html>',
)


async def test_each_sign_up_gets_one_welcome_with_its_own_link(sim: Any, sim_client: Any) -> None:
    """Two sign-ups (one signing up twice) get one welcome each, each with its own link."""
    cc = sim_client
    flow = await ensure_welcome_flow(cc, name="Welcome", list_name="Sign-ups", email=EMAIL)
    links = {
        "ann@example.com": "https://shop.example/activate?t=ann",
        "bob@example.com": "https://shop.example/activate?t=bob",
    }
    for address, link in links.items():
        before = cc.calls
        await flow.sign_up(cc, address, link)
        assert cc.calls - before == 1
    await flow.sign_up(cc, "ann@example.com", links["ann@example.com"])  # already on the list
    sim.clock.advance(60.0)
    await cc.lists.get(flow.list_id)  # any request lets the simulator deliver due runs
    for address, link in links.items():
        mails = sim.outbox.find(to=address, kind="automation")
        assert len(mails) == 1, address
        assert link in mails[0].html
        assert mails[0].activity_id == flow.email_activity_id


async def test_setup_is_idempotent(sim_client: Any) -> None:
    """A second setup finds everything in place: same ids, reads only."""
    cc = sim_client
    first = await ensure_welcome_flow(cc, name="Welcome", list_name="Sign-ups", email=EMAIL)
    again = await ensure_welcome_flow(cc, name="Welcome", list_name="Sign-ups", email=EMAIL)
    assert (again.automation_flow_id, again.list_id) == (first.automation_flow_id, first.list_id)
    assert again.calls == 5
