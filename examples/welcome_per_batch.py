"""Story: a welcome email with each user's own activation link, sent at sign-up.

Each sign-up (or the sign-ups of the last few minutes, as one batch) goes through
``send_to_audience``: the user is upserted with their activation link in a custom field, put on
a pooled list, and a campaign whose button is ``<a href="[[activation_link]]">`` is sent now, so
each user gets their own link. The other way, a Constant Contact automation triggered by joining
a list, is ``examples/welcome_flow.py``: 1 call per sign-up after a one-off setup, and the
right choice for most sites. This one needs no automation, sends one campaign per batch of
sign-ups, and shows how a per-user value travels in a custom field.
On the simulator the script prints the link each user received (``sim.outbox``).

Cost, measured on the simulator: 19 API calls for the first batch (the pool list and the custom
field are created), 16 for each later one, whatever the number of sign-ups in it: batch the
sign-ups of a few minutes rather than sending one campaign per user (the daily budget is 10,000
calls, and each send takes minutes on the real service). The script prints ``result.calls``.

Run: ``python examples/welcome_per_batch.py`` (embedded simulator, real limits: under a minute),
``--fast`` (limits off, simulated time), or against a real account:
``CCASYNC_ACCESS_TOKEN=... CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python
examples/welcome_per_batch.py``.
"""

from __future__ import annotations

import secrets

from _stage import Stage, run_story

from ccasync.ops import CampaignTemplate, send_to_audience


def welcome_template(stage: Stage) -> CampaignTemplate:
    """The welcome email; the link comes from each contact's ``activation_link`` field."""
    return CampaignTemplate(
        name="Welcome $batch" + stage.suffix,
        subject='Welcome to Acme, [[FirstName OR "friend"]]',
        from_name="Acme",
        from_email=stage.sender,
        html_content=(
            "<html><body>[[trackingImage]]<p>Hello [[FirstName]], please "
            '<a href="[[activation_link]]">activate your account</a>.</p></body></html>'
        ),
    )


def activation_link(email: str) -> str:
    """Your application's one-time activation URL for ``email`` (stored on your side)."""
    return f"https://app.acme.example/activate?token={secrets.token_urlsafe(16)}"


async def story(stage: Stage) -> None:
    """Send one welcome batch of two sign-ups; print the cost and each user's link."""
    pool = stage.list_pool("welcome", size=2)
    signups = {stage.email("ann"): "Ann", stage.email("bob"): "Bob"}
    rows = [
        {"email": email, "first_name": first, "cf:activation_link": activation_link(email)}
        for email, first in signups.items()
    ]
    result = await send_to_audience(
        stage.cc,
        rows,
        welcome_template(stage),
        batch_id="signups-1500",
        pool=pool,
        sleep=stage.sleep,
    )
    if not result.ok:
        raise SystemExit(f"not sent: {result.failed_items}")
    print(f"welcome sent to {result.sent} new users, API calls: {result.calls}")
    if stage.sim is not None:
        for message in stage.sim.outbox.find(kind="send"):
            link = message.html.split('href="')[1].split('"')[0]
            print(f"  {message.to}: {message.subject!r} -> {link}")


if __name__ == "__main__":
    run_story(story, __doc__)
