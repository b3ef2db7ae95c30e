"""The social side of one account: its connection, profiles, hashtag groups and posts.

A real account connects networks in the UI, which the API cannot do; every simulated account
starts with one connected, accessible Facebook page ("Sim Page") so posts can be made, and no
hashtag groups (add some to ``hashtag_groups`` in tests; the API has no create operation).
UNCONFIRMED: the shapes of ids and URLs. Posts: ``status`` DRAFT or SCHEDULED (the spec's
description); SCHEDULED needs a future ``scheduled_time``; every ``profiles[].profile_id`` must be
a connected profile; text at most 63,206 characters (Facebook's limit; UNCONFIRMED here).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from .._http import bad_request, iso, new_id, parse_datetime
from .._validate import is_choice

if TYPE_CHECKING:
    from .._state import Account

KEY = "social.api.validation.error"
MAX_TEXT = 63_206
POST_STATUSES = ("DRAFT", "SCHEDULED")


class SocialBook:
    """Profiles, hashtag groups and posts of one account."""

    def __init__(self, account: Account) -> None:
        """One connected Facebook page, no hashtag groups, no posts."""
        number = account.account_id[-8:]
        self.account_info = {
            "network": "FACEBOOK",
            "network_account_id": f"10{number}",
            "display_name": "Sim Owner",
            "username": "sim.owner",
            "image_url": "https://sim.invalid/social/owner.png",
        }
        self.profiles: list[dict[str, Any]] = [
            {
                # Derived, not drawn: building an account must not move the seeded id sequence.
                "profile_id": str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"sim-social:{account.account_id}")
                ),
                "network": "FACEBOOK",
                "network_profile_id": f"20{number}",
                "network_user_id": f"10{number}",
                "name": "Sim Page",
                "handle": "simpage",
                "url": f"https://facebook.invalid/simpage{number}",
                "image_url": "https://sim.invalid/social/page.png",
                "connected": True,
            }
        ]
        self.hashtag_groups: list[dict[str, Any]] = []
        self.posts: dict[str, dict[str, Any]] = {}

    def profile_views(self, accessible: bool) -> list[dict[str, Any]]:
        """The ``ProfileDto`` list (``accessible`` flag added on request)."""
        views = []
        for profile in self.profiles:
            view = {**profile, "account_info": dict(self.account_info)}
            if accessible:
                view["accessible"] = True
            views.append(view)
        return views

    def connections(self) -> dict[str, Any]:
        """The ``ConnectionResponseDto``."""
        status = {
            "has_token": True,
            "is_active_user": True,
            "rate_limited": False,
            "token_has_scopes": True,
            "token_is_valid": True,
        }
        return {
            "connections": [{"account_info": dict(self.account_info), "connection_status": status}]
        }

    def create_post(self, body: Any, now: dt.datetime) -> dict[str, Any]:
        """POST /social/posts: a stored post with one campaign activity per targeted profile."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a post object.", KEY)
        status = body.get("status")
        if not is_choice(status, POST_STATUSES):
            raise bad_request(f"status must be one of {', '.join(POST_STATUSES)}.", KEY)
        post: dict[str, Any] = {"campaign_id": new_id(), "status": status}
        name = body.get("name")
        if name is not None:
            if not isinstance(name, str) or len(name) > 255:
                raise bad_request("name must be a string of at most 255 characters.", KEY)
            post["name"] = name
        when = body.get("scheduled_time")
        if status == "SCHEDULED" or when is not None:
            if not isinstance(when, str) or len(when) > 40:
                raise bad_request("scheduled_time is required for SCHEDULED posts.", KEY)
            moment = parse_datetime(when, "scheduled_time")
            if moment <= now:
                raise bad_request("scheduled_time must be in the future.", KEY)
            post["scheduled_time"] = iso(moment)
        post["profile_posts"] = self._profile_posts(body.get("profile_posts"), str(status), now)
        self.posts[post["campaign_id"]] = post
        return post

    def _profile_posts(self, raw: Any, status: str, now: dt.datetime) -> list[dict[str, Any]]:
        if not isinstance(raw, list) or not 0 < len(raw) <= 20:
            raise bad_request("profile_posts must be an array of 1 to 20 entries.", KEY)
        known = {p["profile_id"]: p for p in self.profiles}
        result = []
        for entry in raw:
            if not isinstance(entry, dict) or not isinstance(entry.get("profiles"), list):
                raise bad_request("each profile_posts entry needs a profiles array.", KEY)
            text = entry.get("text")
            if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
                raise bad_request(f"text must be a string of at most {MAX_TEXT} characters.", KEY)
            images = entry.get("images", [])
            if not isinstance(images, list) or not all(
                isinstance(i, dict) and isinstance(i.get("url"), str) for i in images
            ):
                raise bad_request("images must be objects with a url.", KEY)
            profiles = []
            for target in entry["profiles"]:
                profile_id = target.get("profile_id") if isinstance(target, dict) else None
                if not isinstance(profile_id, str) or profile_id not in known:
                    raise bad_request("profiles[].profile_id must name a connected profile.", KEY)
                found = known[profile_id]
                profiles.append(
                    {
                        "profile_id": profile_id,
                        "network": found["network"],
                        "profile_name": found["name"],
                        "account_username": self.account_info["username"],
                        "image_url": found["image_url"],
                        "campaign_activity_id": new_id(),
                        "campaign_activity_status": status,
                        "campaign_activity_status_date": iso(now),
                    }
                )
            item: dict[str, Any] = {
                "post_content_id": new_id(),
                "profiles": profiles,
                "images": [{"url": i["url"]} for i in images],
            }
            if text is not None:
                item["text"] = text
            result.append(item)
        return result
