"""Landing-page and SMS reports, served empty because the simulator has neither channel.

The simulator models email only: it has no landing pages and sends no SMS, so these reports are
computed from no events and come back empty, as the spec's schemas allow. Their parameters are
still checked as documented (``limit`` 1-500, ``start_at`` required and ISO-8601, a malformed
activity or contact id is 404). UNCONFIRMED: the real API's answer for a landing-page activity id
it does not know (here: 200 with no activities, since no landing page can be made through the
API), and the empty-page ``_links`` (the schema requires ``_links.next.href``, whose description
says "null if there are no additional pages"; the simulator sends ``""`` to fit the type).
"""

from __future__ import annotations

from aiohttp import web

from .._http import ApiFailure, bad_request, is_uuid, json_response, parse_datetime, parse_limit

LANDING_KINDS = (
    "p_contact_opens",
    "p_unique_contact_adds",
    "p_unique_contact_clicks",
    "p_unique_contact_opens",
    "p_unique_contact_sms_optins",
    "p_unique_contact_updates",
)
_LANDING = "/v3/reports/landing_pages/campaign_details/{campaign_activity_id}/"
_KEY = "reportingsvc.validation.error"


def register_channel_routes(app: web.Application) -> None:
    """Add the landing-page report, SMS summary and SMS engagement-history routes."""
    for kind in LANDING_KINDS:
        app.router.add_get(_LANDING + kind, _landing)
    app.router.add_get("/v3/reports/summary_reports/sms_campaign_summaries", _sms_summaries)
    app.router.add_get("/v3/contacts/sms_engagement_history/{contact_id}", _sms_history)


async def _landing(request: web.Request) -> web.Response:
    activity_id = request.match_info["campaign_activity_id"]
    if not is_uuid(activity_id):
        raise ApiFailure(404, "reportingsvc.not_found", "The campaign activity was not found.")
    parse_limit(request.query.get("limit"), 50, 500)
    if len(request.query.get("contacts_filter", "")) > 255:
        raise bad_request("contacts_filter must be at most 255 characters.", _KEY)
    return json_response({"tracking_activities": [], "_links": {"next": {"href": ""}}})


async def _sms_summaries(request: web.Request) -> web.Response:
    parse_limit(request.query.get("limit"), 50, 500)
    bounds = []
    for name in ("start_at", "end_at"):
        raw = request.query.get(name)
        if raw is None:
            if name == "start_at":
                raise bad_request("start_at is required.", _KEY)
            continue
        if len(raw) > 40:
            raise bad_request(f"{name} must be an ISO-8601 date-time.", _KEY)
        bounds.append(parse_datetime(raw, name))
    if len(bounds) == 2 and bounds[1] < bounds[0]:
        raise bad_request("end_at must not be before start_at.", _KEY)
    percents = {"bounce": 0.0, "click": 0.0, "deliver": 0.0, "unsubscribe": 0.0}
    return json_response({"bulk_sms_campaign_summaries": [], "aggregate_percents": percents})


async def _sms_history(request: web.Request) -> web.Response:
    raw = request.match_info["contact_id"]
    contact = request["account"].contact(raw.lower()) if is_uuid(raw) else None
    if contact is None or contact.deleted_at is not None:
        raise ApiFailure(404, "contacts.api.not_found", f"Contact {raw[:40]} was not found.")
    return json_response([])  # the simulator's contacts have no SMS channel, so no history
