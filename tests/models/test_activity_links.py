"""An activity's ``_links``: read the same way by its properties and by ``with_activity_id``."""

from __future__ import annotations

from typing import Any

import pytest

from ccasync._serde import structure
from ccasync.models.activities import Activity, with_activity_id

AID = "04fa57a7-cf55-4185-cc1a-58ed29bf0a6a"
SELF = f"/v3/activities/{AID}"
CSV = f"/v3/contact_exports/{AID}"


def test_activity_links_give_their_hrefs() -> None:
    """self_href and results_href read _links.self.href and _links.results.href."""
    links = {"self": {"href": SELF}, "results": {"href": CSV}}
    activity = structure({"activity_id": AID, "_links": links}, Activity)
    assert (activity.self_href, activity.results_href) == (SELF, CSV)


@pytest.mark.parametrize(
    "links",
    [None, [], {"self": SELF}, {"self": {"href": ""}}, {"self": {"href": 5}}, {"results": {}}],
)
def test_a_missing_or_malformed_link_reads_as_none(links: Any) -> None:
    """A link absent, not an object, or without a non-empty string href is None everywhere."""
    activity = structure({"activity_id": AID, "_links": links}, Activity)
    assert (activity.self_href, activity.results_href) == (None, None)
    assert with_activity_id({"_links": links}, None) == {"_links": links}


def test_with_activity_id_takes_the_id_from_the_self_link() -> None:
    """A bulk answer without activity_id gets it from the same self link self_href reads."""
    data = {"state": "initialized", "_links": {"self": {"href": SELF}}}
    assert with_activity_id(data, None) == {**data, "activity_id": AID}
