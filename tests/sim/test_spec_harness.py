"""The conformance harness itself catches wrong bodies."""

from __future__ import annotations

import jsonschema
import pytest

from tests.sim.spec_schema import assert_error_shape, assert_matches_spec


@pytest.mark.spec
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"contact_id": 5}, "is not of type 'string'"),
        ({"contact_id": "x", "bogus": 1}, "fields not in the spec"),
        ({"contact_id": "x", "created_at": "yesterday"}, "is not a 'date-time'"),
    ],
)
def test_harness_rejects_bodies_that_do_not_fit(body: object, fragment: str) -> None:
    """Wrong types, undeclared keys and bad date-times all fail the check."""
    with pytest.raises(AssertionError, match=fragment):
        assert_matches_spec("GET", "/contacts/{contact_id}", 200, body)


@pytest.mark.spec
def test_harness_rejects_undocumented_status_and_unknown_operation() -> None:
    """A status the spec does not list, or an unknown path, is an error."""
    with pytest.raises(AssertionError, match="not documented"):
        assert_matches_spec("GET", "/contacts/{contact_id}", 418, {})
    with pytest.raises(AssertionError, match="not an operation"):
        assert_matches_spec("GET", "/nowhere", 200, {})


def test_error_shapes_follow_the_reference() -> None:
    """401/403/429 are single objects; other errors are arrays."""
    assert_error_shape(401, {"error_key": "unauthorized", "error_message": "Unauthorized"})
    assert_error_shape(404, [{"error_key": "k", "error_message": "m"}])
    with pytest.raises(AssertionError):
        assert_error_shape(400, {"error_key": "k", "error_message": "m"})


def test_format_checker_checks_date_times() -> None:
    """The harness rejects a bad date-time (jsonschema needs rfc3339-validator: the test extra)."""
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    assert checker.conforms("2026-11-30T14:00:00Z", "date-time")
    assert not checker.conforms("yesterday", "date-time")
