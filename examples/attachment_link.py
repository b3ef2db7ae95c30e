"""Story: "attach" a file to a campaign: Constant Contact emails carry no attachments, so link it.

Constant Contact sends HTML campaigns without attachments: the v3 API's campaign activity has no
attachment field (the 3.0.178 spec has none anywhere), and its editor links documents from the
account's Library instead of attaching them. So host the file (your site, a CDN or object store,
or the Library through the Constant Contact UI), check the link works before sending, and put a
plain download link in the email, saying what it is and how big. Click tracking then tells you
who downloaded it (``cc.reports.links`` / ``iter_clicks``).

Cost: the same as any campaign (create 1, GET + PUT of the activity, send 1, status polls) plus
1 call for the links report; the file check is one HEAD request to your host, not to the API.
Measured on the simulator and printed by the script.

Run: ``python examples/attachment_link.py`` (embedded simulator; the script serves a sample PDF
on 127.0.0.1 itself), ``--fast`` (limits off, simulated time), or against a real account with a
file you host: ``CCASYNC_ACCESS_TOKEN=... CCASYNC_EXAMPLE_EMAIL=you@yourdomain.example python
examples/attachment_link.py --file-url https://files.example/price-list.pdf``.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from _stage import Stage, make_parser, open_stage
from aiohttp import web

SAMPLE_PDF = b"%PDF-1.4\n% price list\n" + b"0" * 48_000 + b"\n%%EOF\n"


@asynccontextmanager
async def sample_file_host() -> AsyncIterator[str]:
    """Serve a sample PDF on a loopback port (stands in for your file host); yields its URL."""
    app = web.Application()

    async def pdf(_: web.Request) -> web.Response:
        return web.Response(body=SAMPLE_PDF, content_type="application/pdf")

    app.router.add_get("/price-list.pdf", pdf)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/price-list.pdf"
    finally:
        await runner.cleanup()


async def describe_file(url: str) -> str:
    """Check that ``url`` answers and return "PDF, 47 KB"-style text for the link."""
    async with aiohttp.ClientSession() as session, session.head(url) as response:
        response.raise_for_status()
        kind = response.content_type.rpartition("/")[2].upper()
        size = response.content_length
    return f"{kind}, {size // 1024} KB" if size is not None else kind


async def story(stage: Stage, file_url: str) -> None:
    """Send a campaign linking the file; report who clicked it."""
    cc = stage.cc
    about = await describe_file(file_url)
    print(f"hosted file checked: {file_url} ({about})")
    list_id = await stage.make_list("Trade customers", {f"buyer{n:02d}": "Sam" for n in range(40)})
    link = html.escape(file_url, quote=True)
    with cc.count_calls() as count:
        campaign = await cc.campaigns.create(
            name="Price list 2027" + stage.suffix,
            from_name="Acme",
            from_email=stage.sender,
            reply_to_email=stage.sender,
            subject="Our 2027 price list",
            html_content=(
                "<html><body>[[trackingImage]]<p>Hello [[FirstName]], our new price list is "
                f'ready: <a href="{link}">download the price list ({about})</a>.</p></body></html>'
            ),
        )
        activity_id = str(campaign.primary_activity_id)
        await cc.campaigns.set_lists(activity_id, [list_id])
        await cc.campaigns.send_now(activity_id)
        await stage.wait_sent(activity_id)
        await stage.pass_time(3 * 86_400, "readers open the email and download the file")
        links = await cc.reports.links(activity_id)
    for entry in links.link_click_counts:
        print(f"downloads (unique clicks) of {entry.link_url}: {entry.unique_clicks}")
    print(f"API calls: {count.calls} for the campaign and its links report")


async def main() -> None:
    """Run the story where ``--fast`` / the environment says."""
    parser = make_parser(__doc__)
    parser.add_argument("--file-url", help="the hosted file to link (default: a local sample)")
    args = parser.parse_args()
    async with open_stage(args.fast) as stage:
        if args.file_url:
            await story(stage, args.file_url)
            return
        async with sample_file_host() as url:
            await story(stage, url)


if __name__ == "__main__":
    asyncio.run(main())
