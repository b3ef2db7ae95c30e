"""Queueing a bulk activity and answering with it.

Every activity POST answers 201 (202 for the DELETE-based ones) with the ``initialized`` activity,
unless the account already has ``queued_activity_cap`` activities queued: then 429 with the
single-object body ``{"error_key": "too_many_requests", "error_message": "Too many requests. You
exceeded 1,000 queued activities for this user account."}`` (UNCONFIRMED: the API documents the
message only).
"""

from __future__ import annotations

from aiohttp import web

from .._http import ApiFailure, json_response, new_id
from .._state import Account, SimState
from .queue import Activity, Job


def check_queue(account: Account, state: SimState) -> None:
    """429 when the account already has the maximum of queued activities."""
    if len(account.activities) >= state.config.queued_activity_cap:
        raise ApiFailure(
            429,
            "too_many_requests",
            "Too many requests. You exceeded 1,000 queued activities for this user account.",
            "object",
        )


def submit(
    request: web.Request,
    kind: str,
    job: Job,
    *,
    status: int = 201,
    location: bool = False,
    activity_id: str | None = None,
    source_file_name: str | None = None,
    object_errors: bool = False,
) -> web.Response:
    """Queue an activity for ``job`` and answer with it (``status``; Location header if asked)."""
    account: Account = request["account"]
    state: SimState = request["state"]
    check_queue(account, state)
    activity = Activity(activity_id or new_id(), kind, job, state.now())
    activity.source_file_name = source_file_name
    activity.object_errors = object_errors
    if kind == "contact_exports":
        activity.results_href = f"/v3/contact_exports/{activity.activity_id}"
    account.activities.submit(activity)
    href = f"/v3/activities/{activity.activity_id}"
    return json_response(activity.to_json(), status, {"Location": href} if location else None)
