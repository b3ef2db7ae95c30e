"""The pure protocol rules: error bodies, 429 kinds, Retry-After, URLs and next-page links."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccasync import _protocol
from ccasync.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    RateLimitKind,
    ServerError,
    UnsupportedMediaTypeError,
)

BASE = "https://api.cc.email/v3"
JSON = {"Content-Type": "application/json"}


def _err(status: int, body: object, headers: dict[str, str] | None = None) -> Exception:
    with pytest.raises(APIError) as info:
        _protocol.decipher(
            status, headers or JSON, orjson.dumps(body), method="GET", url="/v3/contacts"
        )
    return info.value


def test_array_error_body_is_parsed() -> None:
    """A 400 array body becomes a BadRequestError listing every error."""
    exc = _err(
        400, [{"error_key": "a", "error_message": "m1"}, {"error_key": "b", "error_message": "m2"}]
    )
    assert isinstance(exc, BadRequestError)
    assert exc.error_keys == ["a", "b"]
    assert "m2" in str(exc)


def test_single_object_body_for_401() -> None:
    """The single-object 401 body becomes an AuthenticationError that does not ask to re-consent."""
    exc = _err(401, {"error_key": "unauthorized", "error_message": "Unauthorized"})
    assert isinstance(exc, AuthenticationError)
    assert exc.error_keys == ["unauthorized"]
    assert exc.reauthorize is False


def test_oauth_invalid_grant_asks_to_authorize_again() -> None:
    """OAuth invalid_grant from the token endpoint is an AuthenticationError(reauthorize)."""
    body = orjson.dumps({"error": "invalid_grant", "error_description": "expired"})
    with pytest.raises(AuthenticationError) as info:
        _protocol.decipher(400, JSON, body, method="POST", url="/token", token_endpoint=True)
    assert info.value.reauthorize is True
    assert info.value.error_keys == ["invalid_grant"]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"error_key": "throttled", "error_message": "Too Many Requests"}, RateLimitKind.THROTTLED),
        (
            {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"},
            RateLimitKind.DAILY_QUOTA,
        ),
        (
            {
                "error_key": "too_many_requests",
                "error_message": "Too many requests. You exceeded 1,000 queued activities "
                "for this user account.",
            },
            RateLimitKind.QUEUED_ACTIVITIES,
        ),
    ],
)
def test_three_kinds_of_429(body: dict[str, str], kind: RateLimitKind) -> None:
    """The three 429s are told apart by error_key (and the queue cap by its message)."""
    exc = _err(429, body)
    assert isinstance(exc, RateLimitError)
    assert exc.kind is kind


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (415, UnsupportedMediaTypeError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_specific_error(status: int, cls: type[Exception]) -> None:
    """Each error status maps to its own exception class."""
    assert type(_err(status, [{"error_key": "k", "error_message": "m"}])) is cls


def test_non_json_error_body_is_kept_readable() -> None:
    """An HTML error page from a proxy still yields a readable error, not a decode crash."""
    with pytest.raises(ServerError) as info:
        _protocol.decipher(502, {}, b"<html>Bad Gateway</html>", method="GET", url="/v3/x")
    assert "Bad Gateway" in str(info.value)


def test_conflict_exposes_existing_id() -> None:
    """A 409 naming the existing contact exposes its id."""
    uid = "4f8ba6b2-1c8e-11ee-be56-0242ac120002"
    exc = _err(
        409,
        [
            {
                "error_key": "contacts.api.conflict",
                "error_message": f"Email already exists for contact {uid}",
            }
        ],
    )
    assert isinstance(exc, ConflictError)
    assert exc.existing_id == uid


def test_success_bodies() -> None:
    """2xx: JSON decoded, empty body is None, CSV stays bytes."""
    assert _protocol.decipher(200, JSON, b'{"a":1}', method="GET", url="/") == {"a": 1}
    assert _protocol.decipher(204, {}, b"", method="DELETE", url="/") is None
    csv = _protocol.decipher(200, {"Content-Type": "text/csv"}, b"a,b\n", method="GET", url="/")
    assert csv == b"a,b\n"


def test_retry_after_seconds_and_http_date() -> None:
    """Retry-After is read as delta-seconds or as an HTTP date; absent means None."""
    assert _protocol.retry_after({"Retry-After": "3"}) == 3.0
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    header = {"retry-after": "Thu, 01 Jan 2026 00:00:10 GMT"}
    assert _protocol.retry_after(header, now=now) == 10.0
    assert _protocol.retry_after({}) is None
    assert _protocol.retry_after({"Retry-After": "soon"}) is None


def test_retry_after_date_without_zone_is_utc() -> None:
    """An HTTP date in ``-0000`` form (naive after parsing) is read as UTC, not a TypeError."""
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    header = {"Retry-After": "Thu, 01 Jan 2026 00:00:05 -0000"}
    assert _protocol.retry_after(header, now=now) == 5.0
    err = _err(429, {"error_key": "throttled", "error_message": "x"}, {**JSON, **header})
    assert isinstance(err, RateLimitError)


def test_params_encoding() -> None:
    """None is dropped, bools are lower-case, sequences csv, aware datetimes ISO Z."""
    when = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
    pairs = _protocol.encode_params({"a": None, "b": True, "c": ["x", "y"], "d": when, "e": 5})
    assert pairs == [("b", "true"), ("c", "x,y"), ("d", "2026-05-01T12:00:00.000Z"), ("e", "5")]
    assert _protocol.encode_params([("k", "1"), ("k", "2")]) == [("k", "1"), ("k", "2")]


def test_build_url() -> None:
    """Paths join the base URL; params are url-encoded."""
    url = _protocol.build_url(BASE, "/contacts", {"email": "a+b@x.org"})
    assert url == "https://api.cc.email/v3/contacts?email=a%2Bb%40x.org"


@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=24)), max_size=4))
def test_build_url_query_is_urlencode(pairs: list[tuple[str, str]]) -> None:
    """The query build_url writes is exactly urllib's urlencode of the same pairs."""
    url = _protocol.build_url(BASE, "/contacts", pairs)
    assert url == (BASE + "/contacts" + (f"?{urlencode(pairs)}" if pairs else ""))


def test_build_url_csv_list_quotes_commas() -> None:
    """A csv list of names keeps its names and encodes the commas, as urlencode does."""
    url = _protocol.build_url(BASE, "/contacts/x", {"include": ["notes", "phone_numbers"]})
    assert url == "https://api.cc.email/v3/contacts/x?include=notes%2Cphone_numbers"


def test_next_page_follows_relative_href() -> None:
    """A /v3 relative next href is resolved against the API origin."""
    body = {"_links": {"next": {"href": "/v3/contacts?cursor=abc&limit=500"}}}
    got = _protocol.next_page_url(body, request_url=BASE + "/contacts?limit=500", base_url=BASE)
    assert got == "https://api.cc.email/v3/contacts?cursor=abc&limit=500"


def test_next_page_rebuilds_internal_tag_href_from_cursor() -> None:
    """The internal /contacts-service href of GET /contact_tags is rebuilt from its cursor."""
    body = {"_links": {"next": {"href": "/contacts-service/v3/accounts/42/contact_tags?cursor=zz"}}}
    got = _protocol.next_page_url(
        body, request_url=BASE + "/contact_tags?limit=100&include_count=true", base_url=BASE
    )
    assert got == "https://api.cc.email/v3/contact_tags?limit=100&cursor=zz"


def test_last_page_has_no_next() -> None:
    """No _links.next (or a null one) ends pagination."""
    assert _protocol.next_page_url({"contacts": []}, request_url=BASE, base_url=BASE) is None
    body = {"_links": {"next": None}}
    assert _protocol.next_page_url(body, request_url=BASE, base_url=BASE) is None


def test_test_send_cap_429_is_its_own_kind() -> None:
    """A non-throttled 429 from POST …/tests is the daily test-send cap, not a throttle."""
    body = orjson.dumps(
        [{"error_key": "http.status.too_many_requests", "error_message": "daily limit reached"}]
    )
    with pytest.raises(RateLimitError) as info:
        _protocol.decipher(429, JSON, body, method="POST", url="/v3/emails/activities/a1/tests")
    assert info.value.kind is RateLimitKind.TEST_SENDS
    throttled = orjson.dumps({"error_key": "throttled", "error_message": "Too Many Requests"})
    with pytest.raises(RateLimitError) as info:
        _protocol.decipher(
            429, JSON, throttled, method="POST", url="/v3/emails/activities/a1/tests"
        )
    assert info.value.kind is RateLimitKind.THROTTLED


def test_error_details_keep_nulls_empty_and_unknown_keys_in_extra() -> None:
    """A null error_message reads as "" (never "None"); unknown keys are kept in ``extra``."""
    body = b'[{"error_key": "x", "error_message": null, "field": "email", "row": 3}]'
    (detail,) = _protocol.parse_errors(body)
    assert detail.error_key == "x"
    assert detail.error_message == ""
    assert detail.extra == {"field": "email", "row": 3}
    (oauth,) = _protocol.parse_errors(b'{"error": "invalid_grant", "error_description": null}')
    assert (oauth.error_key, oauth.error_message) == ("invalid_grant", "")
