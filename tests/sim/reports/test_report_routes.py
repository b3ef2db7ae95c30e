"""Reporting endpoints over HTTP: summaries, stats, tracking pagination and contact reports."""

from __future__ import annotations

from typing import Any

import aiohttp

from ccasync.sim import SimConfig, serve
from tests.sim.campaigns.test_campaign_routes import bulk_members, new_campaign

THREE_DAYS = 3 * 86_400


async def _sent_campaign(api: Any, fsim: Any, name: str, count: int) -> tuple[str, str]:
    status, body = await api.post("/contact_lists", {"name": f"list {name}"})
    assert status == 201, body
    bulk_members(fsim, body["list_id"], count, prefix=name)
    campaign_id, activity_id = await new_campaign(api, name, body["list_id"])
    status, _ = await api.post(
        f"/emails/activities/{activity_id}/schedules", {"scheduled_date": "0"}
    )
    assert status == 201
    fsim.clock.advance(THREE_DAYS)
    return campaign_id, activity_id


async def test_summaries_sorted_by_last_send_and_paginated(api: Any, fsim: Any) -> None:
    """Summaries list sent campaigns only, latest send first, with a cursor and aggregates."""
    first, _ = await _sent_campaign(api, fsim, "one", 40)
    second, _ = await _sent_campaign(api, fsim, "two", 40)
    await new_campaign(api, "never sent")
    path = "/reports/summary_reports/email_campaign_summaries"
    status, page1 = await api.get(path, params={"limit": "1"})
    assert status == 200
    assert [s["campaign_id"] for s in page1["bulk_email_campaign_summaries"]] == [second]
    assert set(page1["aggregate_percents"]) == {
        "click",
        "open",
        "did_not_open",
        "bounce",
        "unsubscribe",
    }
    status, page2 = await api.get(page1["_links"]["next"]["href"])
    assert [s["campaign_id"] for s in page2["bulk_email_campaign_summaries"]] == [first]
    assert page2["bulk_email_campaign_summaries"][0]["unique_counts"]["sends"] == 40


async def test_campaign_stats_any_unknown_id_is_404(api: Any, fsim: Any) -> None:
    """Stats for several campaigns; one unknown or malformed id makes the whole answer 404."""
    one, _ = await _sent_campaign(api, fsim, "a", 30)
    two, _ = await _sent_campaign(api, fsim, "b", 30)
    status, body = await api.get(f"/reports/stats/email_campaigns/{one},{two}")
    assert status == 200
    assert [r["campaign_id"] for r in body["results"]] == [one, two]
    assert body["results"][0]["stats"]["em_sends"] == 30
    assert body["errors"] == []
    unknown = "00000000-0000-4000-8000-000000000000"
    for bad in (unknown, "junk"):
        status, body = await api.get(f"/reports/stats/email_campaigns/{one},{bad}")
        assert status == 404
        assert body[0]["error_key"] == "reportingsvc.not_found.invalid_path_param.campaign_ids."


async def test_activity_stats_errors_and_limits(api: Any, fsim: Any) -> None:
    """Activity stats: unknown ids go to errors, malformed ones 404, more than 10 ids 400."""
    _, activity_id = await _sent_campaign(api, fsim, "s", 30)
    _, draft_activity = await new_campaign(api, "draft")
    status, body = await api.get(
        f"/reports/stats/email_campaign_activities/{activity_id},{draft_activity}"
    )
    assert status == 200
    assert [r["campaign_activity_id"] for r in body["results"]] == [activity_id]
    assert body["results"][0]["stats"]["em_abuse"] == 0
    assert len(body["errors"]) == 1
    assert (await api.get(f"/reports/stats/email_campaign_activities/{activity_id},x"))[0] == 404
    eleven = ",".join([activity_id] * 11)
    assert (await api.get(f"/reports/stats/email_campaign_activities/{eleven}"))[0] == 400


async def test_tracking_pagination_and_filters(api: Any, fsim: Any) -> None:
    """Tracking lists page with limit and cursor, newest first; bounce_code filters repeat."""
    _, activity_id = await _sent_campaign(api, fsim, "t", 1200)
    base = f"/reports/email_reports/{activity_id}/tracking"
    status, opens = await api.get(f"{base}/opens", params={"limit": "50"})
    assert status == 200
    times = [r["created_time"] for r in opens["tracking_activities"]]
    assert len(times) == 50
    assert times == sorted(times, reverse=True)
    status, more = await api.get(opens["_links"]["next"]["href"])
    assert more["tracking_activities"][0]["created_time"] <= times[-1]
    params = [("bounce_code", "B"), ("bounce_code", "D"), ("limit", "2")]
    status, bounces = await api.get(f"{base}/bounces", params=params)
    assert status == 200
    codes = {r["bounce_code"] for r in bounces["tracking_activities"]}
    status, rest = await api.get(bounces["_links"]["next"]["href"])
    codes |= {r["bounce_code"] for r in rest["tracking_activities"]}
    assert codes <= {"B", "D"}
    assert (await api.get(f"{base}/bounces", params={"bounce_code": "Q"}))[0] == 400
    assert (await api.get(f"{base}/sends", params={"limit": "501"}))[0] == 400
    status, sends = await api.get(f"{base}/sends")
    assert len(sends["tracking_activities"]) == 500
    assert (await api.get("/reports/email_reports/bad/tracking/sends"))[0] == 404


async def test_links_report(api: Any, fsim: Any) -> None:
    """The links report counts unique clickers of the email's link."""
    _, activity_id = await _sent_campaign(api, fsim, "l", 500)
    status, body = await api.get(
        f"/reports/email_reports/{activity_id}/links", params={"no_clicks": "true"}
    )
    assert status == 200
    [row] = body["link_click_counts"]
    assert row["link_url"] == "https://example.com/x"
    assert row["unique_clicks"] > 0


async def test_contact_reports(api: Any, fsim: Any) -> None:
    """Contact activity details need exactly one type parameter; summary and rates need a range."""
    _, activity_id = await _sent_campaign(api, fsim, "c", 50)
    status, sends = await api.get(f"/reports/email_reports/{activity_id}/tracking/sends")
    contact_id = sends["tracking_activities"][0]["contact_id"]
    base = f"/reports/contact_reports/{contact_id}"
    status, details = await api.get(
        f"{base}/activity_details", params={"tracking_activities_list": "em_sends"}
    )
    assert status == 200
    assert [d["tracking_activity_type"] for d in details["tracking_activities"]] == ["em_sends"]
    assert (await api.get(f"{base}/activity_details"))[0] == 400
    both = [("tracking_activities_list", "em_sends"), ("tracking_activity_type", "em_opens")]
    assert (await api.get(f"{base}/activity_details", params=both))[0] == 400
    window = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00-0500"}
    assert (await api.get(f"{base}/open_and_click_rates", params=window))[0] == 400
    status, summary = await api.get(
        f"{base}/activity_summary", params={"start": "2000-01-01", "end": "2100-01-01"}
    )
    assert [a["campaign_activity_id"] for a in summary["campaign_activities"]] == [activity_id]
    status, rates = await api.get(
        f"{base}/open_and_click_rates", params={"start": "2026-01-01", "end": "2030-01-01"}
    )
    assert rates["included_activities_count"] == 1
    assert (await api.get(f"{base}/activity_summary"))[0] == 400
    assert (
        await api.get(
            "/reports/contact_reports/00000000-0000-4000-8000-000000000000/activity_summary"
        )
    )[0] == 404


async def _stats_for_seed(api_class: Any, seed: int) -> tuple[dict[str, int], str]:
    config = SimConfig(per_second=None, per_day=None, time_scale=0, seed=seed)
    async with serve(config) as sim, aiohttp.ClientSession() as session:
        api = api_class(session, sim, sim.token)
        campaign_id, _ = await _sent_campaign(api, sim, "det", 700)
        status, body = await api.get(f"/reports/stats/email_campaigns/{campaign_id}")
        assert status == 200
        return body["results"][0]["stats"], campaign_id


async def test_same_seed_same_numbers(api: Any) -> None:
    """Two simulators with one seed report identical stats; another seed differs."""
    first, id_one = await _stats_for_seed(type(api), 5)
    again, id_two = await _stats_for_seed(type(api), 5)
    other, _ = await _stats_for_seed(type(api), 6)
    assert (first, id_one) == (again, id_two)
    assert first != other
