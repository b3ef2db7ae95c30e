"""ensure_welcome_flow and WelcomeFlow.sign_up on a fake transport: 1 call per sign-up."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import ValidationError
from ccasync.ops import WelcomeEmail, ensure_welcome_flow, link_merge_tag
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response

LID = "71600990-908b-11e6-907f-1200166bff25"
FID = "83345850-144a-4dcf-b4dc-88aa1287cffe"
CFID = "1618ae62-4752-11e9-9c8a-fa163e6b01c1"
AID = "98edac88-f4bc-408c-9e64-acd890384231"
OTHER = "0c7e2c3e-1b1a-4b59-9b3a-000000000000"
EMAIL = WelcomeEmail(
    subject="Welcome! Activate your account",
    from_name="Shop",
    from_email="owner@example.com",
    html_content='<html><body>[[trackingImage]]<a href="$link">Activate</a></body></html>',
)
RENDERED_HTML = '<html><body>[[trackingImage]]<a href="[[Welcome_link]]">Activate</a></body></html>'


class FakeAccount:
    """An account answering the calls the welcome flow makes; ``state`` shapes what exists."""

    def __init__(self, *, exists: bool = False, trigger_list: str = LID) -> None:
        self.exists = exists
        self.trigger_list = trigger_list
        self.activity: dict[str, Any] = {
            "campaign_activity_id": AID,
            "role": "primary_email",
            "current_status": "DRAFT",
            "from_name": "Sim",
            "from_email": "owner@example.com",
            "reply_to_email": "owner@example.com",
            "subject": "Welcome",
            "html_content": "<html><body>[[trackingImage]]</body></html>",
        }
        self.status = "DRAFT"
        if exists:
            self.activity.update(
                from_name="Shop", subject=EMAIL.subject, html_content=RENDERED_HTML
            )
            self.status = "ACTIVE"

    def flow(self) -> dict[str, Any]:
        trigger = {
            "type": "Action",
            "action_name": "list_join",
            "parameters": [{"parameter_name": "list_ids", "parameter_value": [self.trigger_list]}],
        }
        task = {"kind": "SEND_EMAIL", "correlation_metadata": {"campaign_activity_id": AID}}
        definition = {
            "state": self.status,
            "trigger": {"trigger_def": trigger},
            "workflow": {"workflow_def": {"tasks": [task]}},
        }
        return {"id": FID, "name": "Welcome", "status": self.status, "draft_definition": definition}

    def __call__(self, request: HTTPRequest) -> HTTPResponse:
        path = urlsplit(request.url).path.removeprefix("/v3")
        body = orjson.loads(request.body) if request.body else None
        key = (request.method, path)
        if key == ("GET", "/contact_lists"):
            lists = [{"list_id": LID, "name": "Sign-ups"}] if self.exists else []
            return json_response({"lists": lists})
        if key == ("POST", "/contact_lists"):
            return json_response({"list_id": LID, "name": body["name"]}, 201)
        if key == ("GET", "/contact_custom_fields"):
            fields = [{"custom_field_id": CFID, "label": "Welcome link", "name": "Welcome_link"}]
            return json_response({"custom_fields": fields if self.exists else []})
        if key == ("POST", "/contact_custom_fields"):
            made = {"custom_field_id": CFID, "label": body["label"], "name": "Welcome_link"}
            return json_response(made, 201)
        if key == ("GET", "/automations/workflows"):
            summaries = [{"id": FID, "name": "Welcome"}] if self.exists else []
            return json_response({"flow_summaries": summaries}, 209)
        if key == ("POST", "/automations/workflows"):
            return json_response(self.flow(), 201)
        if key == ("GET", f"/automations/workflows/{FID}"):
            return json_response(self.flow())
        if key == ("PUT", f"/automations/workflows/{FID}"):
            self.status = body["automation_flow"]["status"]
            return json_response(self.flow())
        if key == ("GET", f"/emails/activities/{AID}"):
            return json_response(self.activity)
        if key == ("PUT", f"/emails/activities/{AID}"):
            self.activity = body
            return json_response(body)
        if key == ("POST", "/contacts/sign_up_form"):
            return json_response({"contact_id": OTHER, "action": "created"}, 201)
        raise AssertionError(f"unexpected {key}")


def client(ft: FakeTransport) -> Client:
    """A Client on ``ft`` without limiting."""
    return Client(access_token="t", transport=ft, rate_limiter=RateLimiter.unlimited())


def lines(ft: FakeTransport) -> list[str]:
    """``METHOD /path`` of every recorded request."""
    return [f"{r.method} {urlsplit(r.url).path.removeprefix('/v3')}" for r in ft.requests]


async def test_first_setup_creates_everything_and_activates() -> None:
    """On an empty account: list, field, automation created, email written, flow activated."""
    account = FakeAccount()
    ft = FakeTransport(account)
    async with client(ft) as cc:
        flow = await ensure_welcome_flow(cc, name="Welcome", list_name="Sign-ups", email=EMAIL)
    assert lines(ft) == [
        "GET /contact_lists",
        "POST /contact_lists",
        "GET /contact_custom_fields",
        "POST /contact_custom_fields",
        "GET /automations/workflows",
        "POST /automations/workflows",
        f"GET /emails/activities/{AID}",
        f"PUT /emails/activities/{AID}",
        f"PUT /automations/workflows/{FID}",
    ]
    created = orjson.loads(ft.requests[5].body or b"")
    assert created["action_name"] == "list_join"
    assert created["unique_by"] == "contact_id"
    assert created["parameters"][0]["parameter_value"] == [LID]
    assert account.activity["html_content"] == RENDERED_HTML
    assert account.activity["subject"] == EMAIL.subject
    assert account.status == "ACTIVE"
    assert (flow.calls, flow.list_id, flow.email_activity_id) == (9, LID, AID)
    assert flow.field_name == "Welcome_link"


async def test_rerun_changes_nothing_that_is_right() -> None:
    """With everything in place the setup only reads: 5 calls, no write."""
    ft = FakeTransport(FakeAccount(exists=True))
    async with client(ft) as cc:
        flow = await ensure_welcome_flow(cc, name="Welcome", list_name="Sign-ups", email=EMAIL)
    assert all(line.startswith("GET ") for line in lines(ft))
    assert flow.calls == 5


async def test_each_sign_up_is_one_call_with_its_link() -> None:
    """sign_up is one sign_up_form call: the list joined and the link in the custom field."""
    ft = FakeTransport(FakeAccount(exists=True))
    async with client(ft) as cc:
        flow = await ensure_welcome_flow(cc, name="Welcome", list_name="Sign-ups", email=EMAIL)
        before = cc.calls
        result = await flow.sign_up(cc, "ann@example.com", "https://ex.com/a?t=1", first_name="Ann")
        assert cc.calls - before == 1
    sent = orjson.loads(ft.requests[-1].body or b"")
    assert sent["list_memberships"] == [LID]
    assert sent["custom_fields"] == [{"custom_field_id": CFID, "value": "https://ex.com/a?t=1"}]
    assert sent["first_name"] == "Ann"
    assert result.created is True


async def test_an_automation_on_another_list_is_refused() -> None:
    """An existing automation of that name triggering on another list is a ValidationError."""
    ft = FakeTransport(FakeAccount(exists=True, trigger_list=OTHER))
    async with client(ft) as cc:
        with pytest.raises(ValidationError, match="other lists"):
            await ensure_welcome_flow(cc, name="Welcome", list_name="Sign-ups", email=EMAIL)


@pytest.mark.parametrize(
    ("html", "reason"),
    [("<a href='$url'>x</a>", "unknown placeholder"), ("costs $5", "bad placeholder")],
)
def test_template_placeholders_are_checked(html: str, reason: str) -> None:
    """Only $link is a placeholder; a stray $ must be written $$."""
    email = WelcomeEmail(subject="s", from_name="f", from_email="a@example.com", html_content=html)
    with pytest.raises(ValidationError, match=reason) as caught:
        email.render(link_merge_tag("Welcome_link"))
    assert caught.value.field == "html_content"


async def test_empty_link_is_refused_before_sending() -> None:
    """A sign-up without a link is refused locally."""
    ft = FakeTransport(FakeAccount(exists=True))
    async with client(ft) as cc:
        flow = await ensure_welcome_flow(cc, name="Welcome", list_name="Sign-ups", email=EMAIL)
        sent = len(ft.requests)
        with pytest.raises(ValidationError, match="link"):
            await flow.sign_up(cc, "ann@example.com", "")
    assert len(ft.requests) == sent
