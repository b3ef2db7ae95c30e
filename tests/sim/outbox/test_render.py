"""Pure tests of merge-tag rendering: names, fallbacks, escaping, unknown and broken tags."""

from __future__ import annotations

import datetime as dt

from ccasync.sim.contacts.records import SimContact
from ccasync.sim.outbox.render import contact_values, fill, owner_values

T0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def _contact(**fields: object) -> SimContact:
    return SimContact(
        contact_id="c1", email="ann@example.org", created_at=T0, updated_at=T0, **fields
    )  # type: ignore[arg-type]


def test_tags_are_case_insensitive_and_filled() -> None:
    """``[[FirstName]]``, ``[[FIRSTNAME]]`` and ``[[emailaddress]]`` take the contact's values."""
    values = contact_values(_contact(first_name="Ann", last_name="Lee"), {})
    text = "Hi [[FirstName]] [[LASTNAME]] <[[emailaddress]]>"
    assert fill(text, values, as_html=False) == "Hi Ann Lee <ann@example.org>"


def test_fallback_used_only_when_empty() -> None:
    """``[[FirstName OR "Friend"]]`` gives the fallback for an empty value, curly quotes too."""
    empty = contact_values(_contact(), {})
    named = contact_values(_contact(first_name="Bo"), {})
    text = 'Dear [[FirstName OR "Friend"]], [[LastName or “you”]]'
    assert fill(text, empty, as_html=False) == "Dear Friend, you"
    assert fill(text, named, as_html=False) == "Dear Bo, you"


def test_custom_fields_by_name_and_cf_prefix() -> None:
    """Custom fields are filled by their name (any case) or as ``cf:<name>``."""
    contact = _contact(custom_fields={"f1": "https://x.example/activate/123"})
    values = contact_values(contact, {"f1": "Activation_Link"})
    text = "[[activation_link]] [[cf:Activation_Link]]"
    assert fill(text, values, as_html=False) == " ".join(["https://x.example/activate/123"] * 2)


def test_html_values_are_escaped_and_tracking_image_rendered() -> None:
    """Values are HTML-escaped in bodies; ``[[trackingImage]]`` becomes a 1x1 image."""
    values = contact_values(_contact(first_name="<b>&"), {})
    out = fill("[[trackingImage]]<p>[[FirstName]]</p>", values, as_html=True, tracking="http://t")
    assert out == '<img src="http://t" width="1" height="1" alt="" /><p>&lt;b&gt;&amp;</p>'


def test_unknown_unterminated_and_dataless_tags() -> None:
    """Unknown tags stay as written, an unclosed ``[[`` is text, data-less real tags are empty."""
    values = contact_values(_contact(first_name="Ann"), {})
    text = '[[Nope]] [[MiddleName OR "M"]] [[Prefix]]| [[FirstName'
    assert fill(text, values, as_html=False) == "[[Nope]] M | [[FirstName"


def test_long_text_is_linear() -> None:
    """150,000 characters of opening brackets render without a pattern blow-up."""
    text = "[[" * 75_000
    assert fill(text, {}, as_html=True) == text


def test_owner_values_come_from_the_account_summary() -> None:
    """Test sends use the owner's first/last name, contact email and organization."""
    values = owner_values(
        {
            "first_name": "Sam",
            "last_name": "Owner",
            "contact_email": "o@x.org",
            "organization_name": "Org",
        }
    )
    assert fill("[[FirstName]] [[CompanyName]]", values, as_html=False) == "Sam Org"
