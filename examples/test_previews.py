"""Story: send test emails to reviewers before a campaign goes out, and check personalisation.

``cc.campaigns.send_test`` emails 1-5 reviewers (Constant Contact allows 50 test recipients per
account per day); ``cc.campaigns.preview`` returns the rendered HTML and text. Test sends carry
the account owner's details in merge tags, not a contact's, so to see what each customer will
receive, send to a small list first: on the simulator, ``sim.outbox`` holds every delivered
message with ``[[FirstName]]``-style tags filled per recipient, which is also how to test your
own personalisation offline (the script prints both).

Cost, measured on the simulator: 3 API calls for the campaign, its test and its preview (1
each), then 8-10 for the pilot send (4-5 to build the list, GET + PUT of the activity, send,
1+ status polls) and 1 to create the custom field. The script prints the counts.

Run: ``python examples/test_previews.py`` (embedded simulator), ``--fast`` (limits off,
simulated time), or against a real account: ``CCASYNC_ACCESS_TOKEN=...
CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python examples/test_previews.py`` (the reviewers
are plus-addresses of that mailbox; check them there: a real account has no outbox).
"""

from __future__ import annotations

from _stage import Stage, run_story

HTML = (
    '<html><body>[[trackingImage]]<p>Hello [[FirstName OR "friend"]], your code is '
    "[[promo_code]].</p></body></html>"
)


async def story(stage: Stage) -> None:
    """Send tests to two reviewers, fetch the preview, send to a list; show the outbox."""
    cc = stage.cc
    reviewers = [stage.email("editor"), stage.email("legal")]
    await cc.custom_fields.create("promo_code")  # the field the email's [[promo_code]] shows
    with cc.count_calls() as count:
        campaign = await cc.campaigns.create(
            name="Holiday promo" + stage.suffix,
            from_name="Acme",
            from_email=stage.sender,
            reply_to_email=stage.sender,
            subject='A gift for you, [[FirstName OR "friend"]]',
            html_content=HTML,
        )
        activity_id = str(campaign.primary_activity_id)
        await cc.campaigns.send_test(activity_id, reviewers, "Please review by 5 pm")
        preview = await cc.campaigns.preview(activity_id)
    print(f"tests sent to {len(reviewers)} reviewers, API calls: {count.calls}")
    print(f"preview (owner's details in the tags): {preview.subject!r}")
    with cc.count_calls() as pilot:  # the real personalisation: a send to a small pilot list
        codes = {"ann": {"cf:promo_code": "ANN-10"}, "bob": {"cf:promo_code": "BOB-20"}}
        list_id = await stage.make_list("Promo pilot", {"ann": "Ann", "bob": ""}, codes)
        await cc.campaigns.set_lists(activity_id, [list_id])
        await cc.campaigns.send_now(activity_id)
        await stage.wait_sent(activity_id)
    print(f"pilot send, API calls: {pilot.calls}")
    if stage.sim is None:
        print("a real account has no outbox: check the reviewers' and pilot inboxes")
        return
    for message in stage.sim.outbox:
        print(f"  {message.kind:4} {message.to}: {message.subject!r} | {_text(message.html)}")


def _text(html: str) -> str:
    start = html.index("<p>") + 3
    return html[start : html.index("</p>", start)]


if __name__ == "__main__":
    run_story(story, __doc__)
