"""cc.activities against a fake transport: bodies, paths, local checks, polling, downloads."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from ccasync import Client, RateLimiter
from ccasync.errors import NotFoundError, ValidationError, WaitTimeoutError
from ccasync.models.activities import Activity, JsonImportContact
from ccasync.testing import FakeTransport, HTTPRequest, HTTPResponse, json_response, query_of

AID = "86b90820-cc52-11ea-9dad-fa163e3d9194"
L1 = "06526938-56dd-11e9-932a-fa163ea075fa"
L2 = "07936f78-662a-11eb-af0a-fa163e56c9b0"
C1 = "1618ae62-4752-11e9-9c8a-fa163e6b01c1"
T1 = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def activity(state: str = "initialized", percent: int = 0, **more: Any) -> dict[str, Any]:
    """An activity body as the API sends it."""
    return {
        "activity_id": AID,
        "state": state,
        "percent_done": percent,
        "activity_errors": [],
        "_links": {"self": {"href": f"/v3/activities/{AID}"}},
        **more,
    }


class Sleeper:
    """A fake sleep that advances a virtual clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds


@pytest.fixture
def sleeper() -> Sleeper:
    """A virtual-time sleep."""
    return Sleeper()


@pytest.fixture
def make(sleeper: Sleeper) -> Callable[[Any], Client]:
    """Build a Client on a FakeTransport answering with ``handler``."""

    def build(handler: Any) -> Client:
        transport = handler if isinstance(handler, FakeTransport) else FakeTransport(handler)
        return Client(
            access_token="t",
            transport=transport,
            rate_limiter=RateLimiter.unlimited(),
            sleep=sleeper,
        )

    return build


def body_of(request: HTTPRequest) -> Any:
    """The decoded JSON body of a recorded request."""
    assert request.body is not None
    return orjson.loads(request.body)


def created(request: HTTPRequest) -> HTTPResponse:
    """Answer any bulk POST with a fresh activity (201)."""
    return json_response(activity(), 201)


async def test_import_contacts_posts_rows_with_cf_keys(make: Any) -> None:
    """import_contacts sends import_data with cf:<name> keys and list_ids, as an upsert POST."""
    ft = FakeTransport(created)
    rows = [
        JsonImportContact(email="a@example.com", first_name="A", custom_fields={"shoe": "42"}),
        {"email": "b@example.com", "home_city": "Boston", "last_name": None},
    ]
    async with make(ft) as cc:
        result = await cc.activities.import_contacts(rows, [L1], sms_permission_to_send="not_set")
    request = ft.requests[0]
    assert (request.method, request.url) == (
        "POST",
        "https://api.cc.email/v3/activities/contacts_json_import",
    )
    assert request.headers["Content-Type"] == "application/json"
    assert body_of(request) == {
        "import_data": [
            {"email": "a@example.com", "first_name": "A", "cf:shoe": "42"},
            {"email": "b@example.com", "home_city": "Boston"},
        ],
        "list_ids": [L1],
        "sms_permission_to_send": "not_set",
    }
    assert result.activity_id == AID


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"first_name": "no email"}, "email"),
        ({"email": "a@x.io", "first_name": "x" * 51}, "first_name"),
        ({"email": "a@x.io", "emial": "typo"}, "emial"),
        ({"email": "a@x.io", "birthday_month": 13, "birthday_day": 1}, "birthday_month"),
        ({"email": "a@x.io", "birthday_month": 2}, "birthday_month"),
        ({"email": "a@x.io", "anniversary": "next week"}, "anniversary"),
        ({"email": "a@x.io", **{f"cf:f{i}": "v" for i in range(26)}}, "custom_fields"),
        (
            {
                "email": "a@x.io",
                "phone": "1",
                "home_phone": "2",
                "work_phone": "3",
                "mobile_phone": "4",
            },
            "phone",
        ),
        (
            {"email": "a@x.io", "city": "a", "home_city": "b", "work_city": "c", "other_city": "d"},
            "street",
        ),
        ({"email": "a@x.io", "cf:x": "v" * 256}, "cf:x"),
    ],
)
async def test_import_contacts_validates_rows_locally(
    make: Any, row: dict[str, Any], field: str
) -> None:
    """A row breaking a documented rule raises ValidationError naming field and row."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.activities.import_contacts([{"email": "ok@x.io"}, row], [L1])
    assert (caught.value.field, caught.value.row) == (field, 2)
    assert ft.requests == []


@pytest.mark.parametrize(
    ("list_ids", "field"),
    [([], "list_ids"), (["not-a-uuid"], "list_ids[0]"), ([L1] * 51, "list_ids")],
)
async def test_import_contacts_checks_list_ids(make: Any, list_ids: list[str], field: str) -> None:
    """Imports need 1-50 well-formed list ids."""
    async with make(created) as cc:
        with pytest.raises(ValidationError) as caught:
            await cc.activities.import_contacts([{"email": "a@x.io"}], list_ids)
    assert caught.value.field == field


async def test_import_contacts_payload_sends_bytes_verbatim(make: Any) -> None:
    """import_contacts_payload posts the pre-encoded body unchanged with a JSON content type."""
    ft = FakeTransport(created)
    payload = b'{"import_data":[{"email":"a@x.io"}],"list_ids":["' + L1.encode() + b'"]}'
    async with make(ft) as cc:
        result = await cc.activities.import_contacts_payload(payload)
    assert ft.requests[0].body == payload
    assert ft.requests[0].headers["Content-Type"] == "application/json"
    assert result.state == "initialized"


async def test_import_payload_of_4mb_is_refused(make: Any) -> None:
    """A payload of 4,000,000 bytes or more is refused (the API would truncate it silently)."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        with pytest.raises(ValidationError, match="payload"):
            await cc.activities.import_contacts_payload(b" " * 4_000_000)
    assert ft.requests == []


async def test_import_payload_is_retried_as_upsert(make: Any) -> None:
    """A 503 on the import POST is retried (an import is an upsert by email)."""
    ft = FakeTransport(responses=[json_response([], 503), json_response(activity(), 201)])
    async with make(ft) as cc:
        await cc.activities.import_contacts_payload(b"{}")
    assert len(ft.requests) == 2


async def test_import_csv_sends_multipart_without_content_type(make: Any, tmp_path: Path) -> None:
    """import_csv uploads file + list_ids as multipart and never sets Content-Type by hand."""
    ft = FakeTransport(created)
    csv_path = tmp_path / "people.csv"
    csv_path.write_bytes(b"email,first_name\na@x.io,A\n")
    async with make(ft) as cc:
        await cc.activities.import_csv(csv_path, [L1, L2], file_name="people.csv")
        await cc.activities.import_csv(io.BytesIO(b"email\nb@x.io\n"), [L1])
        await cc.activities.import_csv(b"email\nc@x.io\n", [L1], sms_permission_to_send="explicit")
    first = ft.requests[0]
    assert first.url.endswith("/activities/contacts_file_import")
    assert "Content-Type" not in first.headers
    assert first.body is None
    assert first.multipart is not None
    parts = {p.name: p for p in first.multipart}
    assert parts["file"].value == b"email,first_name\na@x.io,A\n"
    assert parts["file"].filename == "people.csv"
    assert parts["list_ids"].value == f"{L1},{L2}"
    assert ft.requests[1].multipart is not None
    assert ft.requests[1].multipart[0].value == b"email\nb@x.io\n"
    last = {p.name: p.value for p in ft.requests[2].multipart or ()}
    assert last["sms_permission_to_send"] == "explicit"


@pytest.mark.parametrize(
    ("data", "name", "match"),
    [
        (b"email\na@x.io\n", "people.txt", "file_name"),
        (b"name\nA\n", "a.csv", "email or sms_number"),
        (b"email\n" + b"a@x.io\n" * 40_000, "a.csv", "40,000 lines"),
        (b"", "a.csv", "empty"),
    ],
)
async def test_import_csv_local_checks(make: Any, data: bytes, name: str, match: str) -> None:
    """Bad file names, headers without email, >40,000 lines and empty files are refused."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        with pytest.raises(ValidationError, match=match):
            await cc.activities.import_csv(data, [L1], file_name=name)
    assert ft.requests == []


async def test_add_list_memberships_body(make: Any) -> None:
    """add_list_memberships sends source + list_ids + exclude."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        await cc.activities.add_list_memberships(
            [L1], source_list_ids=[L2], exclude_contact_ids=[C1]
        )
        await cc.activities.add_list_memberships([L1], contact_ids=[C1])
        await cc.activities.add_list_memberships([L1], all_active_contacts=True)
    assert ft.requests[0].url.endswith("/activities/add_list_memberships")
    assert body_of(ft.requests[0]) == {
        "source": {"list_ids": [L2]},
        "list_ids": [L1],
        "exclude": {"contact_ids": [C1]},
    }
    assert body_of(ft.requests[1]) == {"source": {"contact_ids": [C1]}, "list_ids": [L1]}
    assert body_of(ft.requests[2]) == {"source": {"all_active_contacts": True}, "list_ids": [L1]}


async def test_remove_list_memberships_body(make: Any) -> None:
    """remove_list_memberships posts to its own endpoint with the same shape."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        await cc.activities.remove_list_memberships([L1], tag_ids=[T1])
    assert ft.requests[0].url.endswith("/activities/remove_list_memberships")
    assert body_of(ft.requests[0]) == {"source": {"tag_ids": [T1]}, "list_ids": [L1]}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one"),
        ({"contact_ids": [C1], "all_active_contacts": True}, "exactly one"),
        ({"contact_ids": [C1] * 501}, "at most 500"),
        ({"source_list_ids": [L1] * 51}, "at most 50"),
        ({"contact_ids": [C1], "exclude_contact_ids": [C1]}, "only allowed"),
        ({"contact_ids": ["nope"]}, "UUID"),
    ],
)
async def test_membership_rules(make: Any, kwargs: dict[str, Any], match: str) -> None:
    """Membership calls need exactly one source within limits; exclude only for wide sources."""
    async with make(created) as cc:
        with pytest.raises(ValidationError, match=match):
            await cc.activities.add_list_memberships([L1], **kwargs)


async def test_membership_target_lists_capped_at_50(make: Any) -> None:
    """More than 50 target lists is refused."""
    async with make(created) as cc:
        with pytest.raises(ValidationError, match="at most 50"):
            await cc.activities.add_list_memberships([L1] * 51, contact_ids=[C1])


async def test_delete_contacts_and_lists(make: Any) -> None:
    """delete_contacts takes contact_ids xor list_ids; delete_lists takes ≤100 ids."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        await cc.activities.delete_contacts(contact_ids=[C1])
        await cc.activities.delete_contacts(list_ids=[L1])
        await cc.activities.delete_lists([L1, L2])
        with pytest.raises(ValidationError, match="exactly one"):
            await cc.activities.delete_contacts(contact_ids=[C1], list_ids=[L1])
        with pytest.raises(ValidationError, match="at most 100"):
            await cc.activities.delete_lists([L1] * 101)
    assert [r.url.rsplit("/", 1)[-1] for r in ft.requests] == [
        "contact_delete",
        "contact_delete",
        "list_delete",
    ]
    assert [body_of(r) for r in ft.requests] == [
        {"contact_ids": [C1]},
        {"list_ids": [L1]},
        {"list_ids": [L1, L2]},
    ]


async def test_tag_operations(make: Any) -> None:
    """add_tags/remove_tags send source + tag_ids; delete_tags sends tag_ids."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        await cc.activities.add_tags([T1], contact_ids=[C1])
        await cc.activities.remove_tags([T1], list_ids=[L1], exclude_contact_ids=[C1])
        await cc.activities.add_tags([T1], new_subscriber=True)
        await cc.activities.delete_tags([T1])
        with pytest.raises(ValidationError, match="at most 50"):
            await cc.activities.add_tags([T1] * 51, contact_ids=[C1])
    paths = [r.url.rsplit("/", 1)[-1] for r in ft.requests]
    assert paths == [
        "contacts_taggings_add",
        "contacts_taggings_remove",
        "contacts_taggings_add",
        "contacts_tags_delete",
    ]
    assert body_of(ft.requests[0]) == {"source": {"contact_ids": [C1]}, "tag_ids": [T1]}
    assert body_of(ft.requests[1]) == {
        "source": {"list_ids": [L1]},
        "tag_ids": [T1],
        "exclude": {"contact_ids": [C1]},
    }
    assert body_of(ft.requests[2]) == {"source": {"new_subscriber": True}, "tag_ids": [T1]}
    assert body_of(ft.requests[3]) == {"tag_ids": [T1]}


async def test_delete_custom_fields(make: Any) -> None:
    """delete_custom_fields posts 1-100 ids."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        await cc.activities.delete_custom_fields([C1])
        with pytest.raises(ValidationError):
            await cc.activities.delete_custom_fields([])
    assert ft.requests[0].url.endswith("/activities/custom_fields_delete")
    assert body_of(ft.requests[0]) == {"custom_field_ids": [C1]}


async def test_export_contacts_body_and_selector_rule(make: Any) -> None:
    """export_contacts sends its selector and fields; two selectors are refused."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        await cc.activities.export_contacts(list_ids=[L1], fields=["email_address", "first_name"])
        await cc.activities.export_contacts()
        with pytest.raises(ValidationError, match="at most one"):
            await cc.activities.export_contacts(list_ids=[L1], tag_ids=[T1])
    assert body_of(ft.requests[0]) == {"list_ids": [L1], "fields": ["email_address", "first_name"]}
    assert body_of(ft.requests[1]) == {}


async def test_download_export_streams_csv(make: Any) -> None:
    """download_export follows the results href (base path stripped) and yields CSV chunks."""
    csv_body = b"email,first_name\n" + b"a@x.io,A\n" * 50

    def handler(request: HTTPRequest) -> HTTPResponse:
        assert request.url == f"https://api.cc.email/v3/contact_exports/{AID}"
        return HTTPResponse(200, {"Content-Type": "text/csv"}, csv_body)

    done = Activity(
        activity_id=AID,
        state="completed",
        extra={"_links": {"results": {"href": f"/v3/contact_exports/{AID}"}}},
    )
    async with make(handler) as cc:
        async with cc.activities.download_export(done) as chunks:
            got = [c async for c in chunks]
        async with cc.activities.download_export(AID) as chunks:
            again = b"".join([c async for c in chunks])
    assert len(got) > 1
    assert b"".join(got) == csv_body == again


async def test_download_export_without_results_link(make: Any) -> None:
    """An export activity without a results link cannot be downloaded yet."""
    async with make(created) as cc:
        with pytest.raises(ValidationError, match="wait"):
            cc.activities.download_export(Activity(activity_id=AID, state="processing"))


async def test_download_export_error_status(make: Any) -> None:
    """A 404 on the download raises NotFoundError."""
    body = [{"error_key": "not_found", "error_message": "no export"}]
    async with make(lambda r: json_response(body, 404)) as cc:
        with pytest.raises(NotFoundError):
            async with cc.activities.download_export(AID) as chunks:
                [c async for c in chunks]


async def test_get_and_iter_all(make: Any) -> None:
    """get reads one activity; iter_all pages with state and limit."""
    pages = {
        "1": {
            "activities": [activity("completed", 100)],
            "_links": {"next": {"href": "/v3/activities?cursor=c2"}},
        },
        "2": {"activities": [activity("failed", 100)]},
    }

    def handler(request: HTTPRequest) -> HTTPResponse:
        if request.url.endswith(AID):
            return json_response(activity("processing", 40))
        return json_response(pages["2" if "cursor" in request.url else "1"])

    ft = FakeTransport(handler)
    async with make(ft) as cc:
        one = await cc.activities.get(AID)
        states = [a.state async for a in cc.activities.iter_all(state="completed", limit=20)]
        with pytest.raises(ValidationError):
            await cc.activities.get("86b90820")
        with pytest.raises(ValidationError):
            cc.activities.iter_all(state="weird")
    assert (one.state, one.percent_done) == ("processing", 40)
    assert states == ["completed", "failed"]
    assert query_of(ft.requests[1]) == {"state": "completed", "limit": "20"}
    assert query_of(ft.requests[2]) == {"cursor": "c2"}


async def test_wait_uses_progress_to_poll_rarely(make: Any, sleeper: Sleeper) -> None:
    """A job finishing in 60 s with steady progress is seen done within 1 s using 4 polls."""
    polls: list[float] = []

    def handler(request: HTTPRequest) -> HTTPResponse:
        polls.append(sleeper.now)
        percent = min(100, int(sleeper.now * 100 / 60))
        state = "completed" if sleeper.now >= 60 else "processing"
        return json_response(activity(state, percent))

    async with make(handler) as cc:
        result = await cc.activities.wait(AID, initial=1.0, max_interval=30.0)
    assert result.state == "completed"
    assert len(polls) == 4
    assert polls[-1] - 60 <= 1.5
    assert min(sleeper.delays) >= 1.0
    assert max(sleeper.delays) <= 30.0


async def test_wait_measures_progress_from_when_it_starts(make: Any, sleeper: Sleeper) -> None:
    """A job queued 20 s before 60 s of progress is seen done within 6 s using 8 polls."""
    polls: list[float] = []

    def handler(request: HTTPRequest) -> HTTPResponse:
        polls.append(sleeper.now)
        percent = max(0, min(100, int((sleeper.now - 20) * 100 / 60)))
        state = "completed" if sleeper.now >= 80 else "processing"
        return json_response(activity(state, percent))

    async with make(handler) as cc:
        await cc.activities.wait(AID)
    assert len(polls) == 8
    assert 80 <= polls[-1] <= 86


async def test_wait_without_progress_backs_off_geometrically(make: Any, sleeper: Sleeper) -> None:
    """Without percent_done progress the interval doubles from initial up to the cap."""

    def handler(request: HTTPRequest) -> HTTPResponse:
        done = sleeper.now >= 100
        return json_response(activity("completed" if done else "initialized", 0))

    async with make(handler) as cc:
        await cc.activities.wait(AID, initial=2.0, max_interval=16.0)
    assert sleeper.delays == [2.0, 4.0, 8.0, *[16.0] * 6]


async def test_wait_returns_failed_activity_at_once(make: Any, sleeper: Sleeper) -> None:
    """A terminal state other than completed ends the wait too (the caller reads it)."""
    async with make(lambda r: json_response(activity("failed", 100))) as cc:
        result = await cc.activities.wait(Activity(activity_id=AID))
    assert (result.state, result.succeeded, sleeper.delays) == ("failed", False, [])


async def test_wait_raises_timeout_at_the_deadline(make: Any, sleeper: Sleeper) -> None:
    """Past the deadline wait raises WaitTimeoutError after a last poll exactly at the deadline."""
    polls: list[float] = []

    def handler(request: HTTPRequest) -> HTTPResponse:
        polls.append(sleeper.now)
        return json_response(activity("processing", 0))

    async with make(handler) as cc:
        with pytest.raises(WaitTimeoutError, match="after 10 s") as info:
            await cc.activities.wait(AID, timeout=10, initial=1.0)
    assert isinstance(info.value, TimeoutError)  # `except TimeoutError` callers still catch it
    assert polls[:4] == [0.0, 1.0, 3.0, 7.0]
    # the last sleep is shortened by the (real, tiny) time the polls themselves took
    assert polls[4:] == [pytest.approx(10.0, abs=0.5)]


async def test_wait_argument_checks(make: Any) -> None:
    """Bad wait arguments are refused before polling."""
    ft = FakeTransport(lambda r: json_response(activity()))
    async with make(ft) as cc:
        for kwargs in ({"timeout": -1}, {"initial": 0}, {"max_interval": 0.5}, {"factor": 0.5}):
            with pytest.raises(ValidationError):
                await cc.activities.wait(AID, **kwargs)
    assert ft.requests == []


def test_activity_errors_accept_both_shapes() -> None:
    """activity_errors of strings or {message} objects become a list of texts."""
    from ccasync._serde import structure

    data = {"activity_id": AID, "activity_errors": ["a", {"message": "b"}, {}]}
    parsed = structure(data, Activity)
    assert parsed.activity_errors == ["a", "b"]


async def test_export_new_subscriber_goes_with_list_ids(make: Any) -> None:
    """new_subscriber with list_ids is one documented filter pair, not two selectors."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        await cc.activities.export_contacts(list_ids=[L1], new_subscriber=True)
        with pytest.raises(ValidationError, match="at most one"):
            await cc.activities.export_contacts(tag_ids=[T1], new_subscriber=True)
    assert body_of(ft.requests[0]) == {"list_ids": [L1], "new_subscriber": True}


async def test_add_list_memberships_from_a_segment(make: Any) -> None:
    """segment_id is an add_list_memberships source (one integer), exclusive with the others."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        await cc.activities.add_list_memberships([L1], segment_id=7)
        with pytest.raises(ValidationError, match="source"):
            await cc.activities.add_list_memberships([L1], segment_id=7, contact_ids=[C1])
        with pytest.raises(ValidationError, match="segment_id"):
            await cc.activities.add_list_memberships([L1], segment_id=0)
    assert body_of(ft.requests[0]) == {"source": {"segment_id": 7}, "list_ids": [L1]}


async def test_export_status_and_exclude_partners(make: Any) -> None:
    """status only with contact_ids/list_ids; exclude only with list_ids/new_subscriber."""
    ft = FakeTransport(created)
    async with make(ft) as cc:
        with pytest.raises(ValidationError, match="status"):
            await cc.activities.export_contacts(tag_ids=[T1], status="unsubscribed")
        with pytest.raises(ValidationError, match="exclude_contact_ids"):
            await cc.activities.export_contacts(contact_ids=[C1], exclude_contact_ids=[C1])
        await cc.activities.export_contacts(
            list_ids=[L1], status="unsubscribed", exclude_contact_ids=[C1]
        )
        await cc.activities.export_contacts(status="unsubscribed")
    assert len(ft.requests) == 2
