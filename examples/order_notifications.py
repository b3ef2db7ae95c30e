"""Story: every 15 minutes, email each customer about their own new orders.

Constant Contact has no "send this email to this address" call, so each batch goes through
``send_to_audience``: upsert the batch's customers with their own values in custom fields,
put them on a list from a small reusable ``ListPool``, send a campaign whose merge tags show
each customer's values, wait until it is sent, and empty the list for the next batch. Run it
from cron (``*/15 * * * *``) with the quarter hour as ``batch_id``: a rerun of the same batch
resumes and never sends twice. On the simulator the script also prints what each customer
received (``sim.outbox``), merge tags filled.

Cost, measured on the simulator: 18-20 API calls for the first batch (it creates the pool list
and the two custom fields), 14-16 for each later one (status polls vary), whatever the batch
size: 96 batches a day are at most 1,536 of the 10,000 daily calls. The script prints each
batch's ``result.calls``.

Run: ``python examples/order_notifications.py`` (embedded simulator, real limits: about a
minute, the send is polled every 15 s), ``--fast`` (limits off, simulated time), or against a
real account: ``CCASYNC_ACCESS_TOKEN=... CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python
examples/order_notifications.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from _stage import Stage, run_story

from ccasync.ops import CampaignTemplate, send_to_audience


def template(stage: Stage) -> CampaignTemplate:
    """The notification; ``[[order_total]]`` and ``[[last_order]]`` are each customer's fields."""
    return CampaignTemplate(
        name="Order update $batch" + stage.suffix,
        subject="Your orders, [[FirstName]]",
        from_name="Acme",
        from_email=stage.sender,
        html_content=(
            "<html><body>[[trackingImage]]<p>Hello [[FirstName]], your new orders total "
            "[[order_total]] (last: [[last_order]]).</p></body></html>"
        ),
    )


def customer(email: str, first_name: str, total: str, last: str) -> dict[str, str]:
    """One customer's row: import keys, their values in ``cf:`` custom fields."""
    return {
        "email": email,
        "first_name": first_name,
        "cf:order_total": total,
        "cf:last_order": last,
    }


def batches(stage: Stage) -> list[tuple[str, Sequence[Mapping[str, str]]]]:
    """Two quarter-hours of new orders, grouped per customer (your database's query here)."""
    return [
        (
            "2026-11-25T15:00",
            [
                customer(stage.email("ann"), "Ann", "$12.50", "A-1"),
                customer(stage.email("bob"), "Bob", "$99.00", "A-2"),
            ],
        ),
        ("2026-11-25T15:15", [customer(stage.email("cho"), "Cho", "$7.25", "A-3")]),
    ]


async def story(stage: Stage) -> None:
    """Send two batches through one pool; print calls per batch and what customers received."""
    pool = stage.list_pool("orders-notify", size=3)  # keep one pool for the process's life
    total = 0
    for batch_id, rows in batches(stage):
        result = await send_to_audience(
            stage.cc, rows, template(stage), batch_id=batch_id, pool=pool, sleep=stage.sleep
        )
        if not result.ok:
            raise SystemExit(f"batch {batch_id} failed: {result.failed_items}")
        total += result.calls
        print(f"batch {batch_id}: sent to {result.sent}, API calls: {result.calls}")
        await stage.pass_time(15 * 60, "the next quarter hour")
    if stage.sim is not None:
        for message in stage.sim.outbox.find(kind="send"):
            print(f"  {message.to}: {message.subject!r} | {_text(message.html)}")
    per_day = 96 * 16
    print(f"API calls: {total} for 2 batches; a batch every 15 min is about {per_day}/day")


def _text(html: str) -> str:
    start = html.index("<p>") + 3
    return html[start : html.index("</p>", start)]


if __name__ == "__main__":
    run_story(story, __doc__)
