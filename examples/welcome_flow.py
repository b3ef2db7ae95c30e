"""Story: a welcome email with a per-user activation link at sign-up, 1 API call per sign-up.

The setup (list, link field, list-join automation and its email) is found or created once
(idempotent: a rerun finds it); then every sign-up is one ``sign_up_form`` call and the
automation mails the contact its own link. On the simulator the delivered mails are printed
from its outbox.

Run: ``python examples/welcome_flow.py`` (embedded simulator), ``--fast`` (limits off,
simulated time), or against a real account: ``CCASYNC_ACCESS_TOKEN=...
CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python examples/welcome_flow.py`` (the mails
then reach that mailbox's plus-addresses).
"""

from __future__ import annotations

import secrets

from _stage import Stage, run_story

from ccasync.ops import WelcomeEmail, ensure_welcome_flow

PEOPLE = ("ann", "bob", "cy")


def welcome_email(sender: str) -> WelcomeEmail:
    """The automation's email; ``$link`` becomes each contact's own activation link."""
    return WelcomeEmail(
        subject="Welcome! Activate your account",
        from_name="The Shop",
        from_email=sender,  # a CONFIRMED account email
        html_content=(
            "<html><body>[[trackingImage]]<p>Welcome!</p>"
            '<p><a href="$link">Activate your account</a></p></body></html>'
        ),
    )


async def story(stage: Stage) -> None:
    """Set the flow up (idempotent) and sign three people up, one call each."""
    cc = stage.cc
    flow = await ensure_welcome_flow(
        cc, name="Welcome flow" + stage.suffix, list_name="Sign-ups" + stage.suffix,
        email=welcome_email(stage.sender),
    )  # fmt: skip
    print(f"setup: {flow.calls} calls (automation {flow.automation_flow_id})")
    for person in PEOPLE:
        address = stage.email(person)
        link = f"https://shop.example/activate?token={secrets.token_urlsafe(12)}"
        before = cc.calls
        await flow.sign_up(cc, address, link)
        print(f"signed up {address}: {cc.calls - before} call, link {link}")
    await stage.pass_time(5, "the automation runs")
    await cc.lists.get(flow.list_id)  # any request lets the simulator deliver due runs
    if stage.sim is not None:
        for person in PEOPLE:
            address = stage.email(person)
            mails = stage.sim.outbox.find(to=address, kind="automation")
            print(f"{address}: {len(mails)} welcome mail(s)")
    print(f"API calls: {cc.calls} for the whole story")


if __name__ == "__main__":
    run_story(story, __doc__)
