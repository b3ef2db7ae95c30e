"""Fidelity: the spec's example payloads of the campaign and report operations fit our models.

The spec is located and read by :mod:`tests.spec.official_spec` (the ``spec`` marker skips these
tests when it is absent). Examples are assembled from the per-property ``example`` values of each
response schema. Each test checks that every documented key lands on a declared attribute (not in
``extra``) and that unstructuring gives the example back (dates normalised).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from ccasync._serde import structure, unstructure
from ccasync.models.campaigns import (
    CampaignActivity,
    CampaignIdXref,
    CampaignPreview,
    EmailCampaign,
    NonOpenerResend,
    ScheduleEntry,
    SendHistoryEntry,
)
from ccasync.models.reports import (
    ActivityStatsReport,
    CampaignStatsReport,
    CampaignSummariesPage,
    ContactActivity,
    ContactActivitySummary,
    ContactOpenAndClickRates,
    EmailLinks,
    TrackingEvent,
)
from tests.spec.official_spec import load_spec

pytestmark = pytest.mark.spec

ACTIVITY = "/emails/activities/{campaign_activity_id}"
TRACKING = "/reports/email_reports/{campaign_activity_id}/tracking/"
CONTACT = "/reports/contact_reports/{contact_id}/"


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` to the definition."""
    while "$ref" in schema:
        schema = load_spec()["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example_of(schema: dict[str, Any]) -> Any:
    """An example payload assembled from the schema's ``example`` values (None when it has none)."""
    schema = resolve(schema)
    if "example" in schema:
        return schema["example"]
    if schema.get("type") == "array" or "items" in schema:
        item = example_of(schema.get("items", {}))
        return [] if item is None else [item]
    props = schema.get("properties")
    if not props:
        return None
    built = {key: example_of(sub) for key, sub in props.items()}
    return {k: v for k, v in built.items() if v is not None and v != {} and v != []}


def response_example(method: str, path: str, status: str) -> Any:
    """The example body of one documented response."""
    response = load_spec()["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = load_spec()["responses"][response["$ref"].rsplit("/", 1)[-1]]
    assert "schema" in response, f"{method} {path} {status} has no body schema"
    return example_of(response["schema"])


def extras_of(obj: Any, where: str = "$") -> list[str]:
    """Paths of keys that landed in an ``extra`` dict anywhere in ``obj`` (undeclared fields)."""
    if isinstance(obj, list):
        return [p for i, item in enumerate(obj) for p in extras_of(item, f"{where}[{i}]")]
    if not attrs.has(type(obj)):
        return []
    found = [f"{where}.{k}" for k in getattr(obj, "extra", {}) if k != "_links"]
    for field in attrs.fields(type(obj)):
        if field.name != "extra":
            found += extras_of(getattr(obj, field.name), f"{where}.{field.name}")
    return found


def normalised(data: Any) -> Any:
    """``data`` with ISO timestamps parsed, separators and empty arrays dropped, to compare."""
    if isinstance(data, dict):
        # Absent arrays come back as [] (list fields default to empty): the same information.
        return {k: normalised(v) for k, v in data.items() if k != "_links" and v != []}
    if isinstance(data, list):
        return [normalised(v) for v in data]
    if isinstance(data, str) and len(data) >= 19 and data[4] == "-" and data[10] == "T":
        return dt.datetime.fromisoformat(data.replace("Z", "+00:00"))
    if isinstance(data, str) and data.replace(",", "").isdigit() and "," in data:
        return int(data.replace(",", ""))
    return data


CASES: list[tuple[str, str, str, Any]] = [
    ("get", "/emails", "200", EmailCampaign),
    ("post", "/emails", "200", EmailCampaign),
    ("get", "/emails/{campaign_id}", "200", EmailCampaign),
    ("patch", "/emails/{campaign_id}", "200", EmailCampaign),
    ("get", "/emails/campaign_id_xrefs", "200", CampaignIdXref),
    ("get", ACTIVITY, "200", CampaignActivity),
    ("put", ACTIVITY, "200", CampaignActivity),
    ("get", ACTIVITY + "/schedules", "200", list[ScheduleEntry]),
    ("post", ACTIVITY + "/schedules", "201", list[ScheduleEntry]),
    ("get", ACTIVITY + "/previews", "200", CampaignPreview),
    ("get", ACTIVITY + "/send_history", "200", list[SendHistoryEntry]),
    ("get", ACTIVITY + "/non_opener_resends", "200", list[NonOpenerResend]),
    ("post", ACTIVITY + "/non_opener_resends", "201", NonOpenerResend),
    ("get", "/reports/summary_reports/email_campaign_summaries", "200", CampaignSummariesPage),
    ("get", "/reports/stats/email_campaigns/{campaign_ids}", "200", CampaignStatsReport),
    (
        "get",
        "/reports/stats/email_campaign_activities/{campaign_activity_ids}",
        "200",
        ActivityStatsReport,
    ),
    ("get", "/reports/email_reports/{campaign_activity_id}/links", "200", EmailLinks),
    *(
        ("get", TRACKING + kind, "200", TrackingEvent)
        for kind in (
            "sends",
            "opens",
            "unique_opens",
            "didnotopens",
            "clicks",
            "forwards",
            "optouts",
            "bounces",
        )
    ),
    ("get", CONTACT + "activity_details", "200", ContactActivity),
    ("get", CONTACT + "activity_summary", "200", ContactActivitySummary),
    ("get", CONTACT + "open_and_click_rates", "200", ContactOpenAndClickRates),
]

ITEMS_KEYS = {"/emails": "campaigns", "/emails/campaign_id_xrefs": "xrefs"}


def _payload(method: str, path: str, status: str, model: Any) -> Any:
    example = response_example(method, path, status)
    if model in (TrackingEvent, ContactActivity):
        return example["tracking_activities"]
    key = ITEMS_KEYS.get(path)
    return example[key] if key and method == "get" else example


@pytest.mark.parametrize(("method", "path", "status", "model"), CASES)
def test_spec_example_structures(method: str, path: str, status: str, model: Any) -> None:
    """The spec's example for the operation structures with every key on a declared field."""
    payload = _payload(method, path, status, model)
    assert payload, f"the spec gives no example for {method.upper()} {path}"
    target = (
        list[model] if isinstance(payload, list) and not str(model).startswith("list") else model
    )
    built = structure(payload, target)
    assert extras_of(built) == []
    assert normalised(unstructure(built)) == normalised(payload)


def test_activity_example_round_trips_unknown_fields() -> None:
    """A spec activity plus an unknown key survives structure → edit → unstructure."""
    payload = dict(response_example("get", ACTIVITY, "200"))
    payload["added_by_a_later_api"] = {"x": 1}
    activity = structure(payload, CampaignActivity)
    activity.subject = "Edited"
    back = unstructure(activity)
    assert back["added_by_a_later_api"] == {"x": 1}
    assert back["subject"] == "Edited"
    assert back["physical_address_in_footer"] == payload["physical_address_in_footer"]
