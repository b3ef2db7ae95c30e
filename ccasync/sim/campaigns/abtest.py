"""Subject-line A/B tests of a campaign's primary activity (reference 9.7).

Sending an activity with an A/B test happens in two sends: ``test_size`` % of the recipients get
subject A and as many get subject B (contacts drawn deterministically from the seed); after
``winner_wait_duration`` hours the subject with more unique opens wins (A on a tie) and the
remaining contacts, resolved again at that moment, receive it. The activity stays ``EXECUTING``
during the wait (UNCONFIRMED: the real status during the wait is not documented).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from .._validate import is_choice
from .engagement import draws
from .records import ABTest, Activity, CampaignContact
from .rules import invalid, require_object, text

WAIT_HOURS = frozenset({6, 12, 24, 48})
AB_TEST_TYPE_CODE = 57
NEWSLETTER_TYPE_CODE = 10


def abtest_input(body: Any) -> ABTest:
    """A validated A/B test: subject required, test_size 5-50, wait 6, 12, 24 or 48 hours."""
    data = require_object(body)
    subject = text(data, "alternative_subject")
    size = data.get("test_size")
    if isinstance(size, bool) or not isinstance(size, int) or not 5 <= size <= 50:
        raise invalid("test_size must be an integer from 5 to 50.")
    wait = data.get("winner_wait_duration")
    if not isinstance(wait, int) or not is_choice(wait, WAIT_HOURS):
        raise invalid("winner_wait_duration must be 6, 12, 24 or 48.")
    return ABTest(subject, size, wait)


def abtest_body(test: ABTest) -> dict[str, Any]:
    """The ``ABTestData`` JSON."""
    return {
        "alternative_subject": test.alternative_subject,
        "test_size": test.test_size,
        "winner_wait_duration": test.winner_wait_duration,
    }


def split(
    test: ABTest, seed: int, activity_id: str, contacts: Sequence[CampaignContact]
) -> list[CampaignContact]:
    """Pick the two test groups (recorded on ``test``); the contacts to send the test to."""
    ranked = sorted(contacts, key=lambda c: draws(seed, f"{activity_id}:ab", c.contact_id)[0])
    size = len(ranked) * test.test_size // 100
    test.group_a = [c.contact_id for c in ranked[:size]]
    test.group_b = [c.contact_id for c in ranked[size : 2 * size]]
    test.tested = True
    return ranked[: 2 * size]


def decide(test: ABTest, activity: Activity, at: dt.datetime) -> str:
    """Set and return the winner: the group with more unique opens by ``at`` (A on a tie)."""
    openers = activity.tracking.contacts_with("em_opens", at)
    opens_a = len(openers.intersection(test.group_a))
    opens_b = len(openers.intersection(test.group_b))
    test.winner = "B" if opens_b > opens_a else "A"
    return test.winner
