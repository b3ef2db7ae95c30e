"""Validation of automation requests (``TriggerDefDto``, ``AutomationCampaignUpdate``).

The spec (3.0.178) gives schemas but no examples or rules for these operations; everything below
beyond the schema's types is the simulator's reading, UNCONFIRMED:

- a trigger needs ``type``; ``type: Action`` needs ``action_name``; ``list_join`` needs a
  ``list_ids`` parameter naming existing lists (in ``parameter_value``, or the deprecated
  ``parameter_list_value`` / ``parameter_string_value``);
- ``unique_by`` is ``contact_id`` (default: each contact runs the flow once) or ``list_ids``
  (once per contact and trigger list);
- other triggers (Date, segment_join, ...) are stored and shown but never fire here;
- a workflow's ``status`` is DRAFT, ACTIVE or PAUSED; PUT ``automation_flow.status: ACTIVE``
  activates it (the active definition is then a copy of the draft, draft state PROMOTED).
"""

from __future__ import annotations

from typing import Any

from .._http import bad_request, is_uuid
from .._validate import is_choice

KEY = "automations.api.validation.error"
STATUSES = ("DRAFT", "ACTIVE", "PAUSED")
UNIQUE_BY = ("contact_id", "list_ids")
LIST_JOIN = "list_join"
MAX_NAME = 255
_TEXT_KEYS = ("type", "action_name", "unique_by", "engagement_level", "segment_id")


def invalid(message: str) -> Exception:
    """A 400 with the (UNCONFIRMED) automation error key."""
    return bad_request(message, KEY)


def _text(data: dict[str, Any], key: str, max_len: int = 255) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value.strip()) <= max_len:
        raise invalid(f"{key} must be a non-empty string of at most {max_len} characters.")
    return value.strip()


def _parameter_values(item: dict[str, Any]) -> list[str]:
    for key in ("parameter_value", "parameter_list_value", "parameter_string_value"):
        value = item.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value]
        raise invalid(f"parameters.{key} must be a string or an array of strings.")
    return []


def _parameters(data: dict[str, Any]) -> list[dict[str, Any]]:
    raw = data.get("parameters", [])
    if not isinstance(raw, list) or len(raw) > 50:
        raise invalid("parameters must be an array of at most 50 parameter objects.")
    cleaned: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise invalid("parameters must hold parameter objects.")
        name = _text(item, "parameter_name", 100)
        if name is None:
            raise invalid("parameters.parameter_name is required.")
        entry: dict[str, Any] = {"parameter_name": name, "parameter_value": _parameter_values(item)}
        for key in ("type", "operator"):
            if (value := _text(item, key, 50)) is not None:
                entry[key] = value
        cleaned.append(entry)
    return cleaned


def trigger_def(data: Any, list_exists: Any) -> dict[str, Any]:
    """A validated ``TriggerDefDto`` as the simulator stores and shows it."""
    if not isinstance(data, dict):
        raise invalid("The request body must be a trigger definition object.")
    trigger: dict[str, Any] = {}
    for key in _TEXT_KEYS:
        if (value := _text(data, key)) is not None:
            trigger[key] = value
    if "type" not in trigger:
        raise invalid("type is required.")
    if trigger["type"].lower() in ("action", "date") and "action_name" not in trigger:
        raise invalid("action_name is required for Action and Date triggers.")
    unique = trigger.setdefault("unique_by", "contact_id")
    if not is_choice(unique, UNIQUE_BY):
        raise invalid(f"unique_by must be one of {', '.join(UNIQUE_BY)}.")
    trigger["parameters"] = _parameters(data)
    for key in ("trigger_date", "bounds"):
        value = data.get(key)
        if value is not None:
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise invalid(f"{key} must be an object of strings.")
            trigger[key] = dict(value)
    if trigger.get("action_name") == LIST_JOIN:
        _check_lists(trigger_lists(trigger), list_exists)
    return trigger


def trigger_lists(trigger: dict[str, Any]) -> list[str]:
    """The list ids of a list_join trigger (lower-case, deduplicated)."""
    for item in trigger.get("parameters", []):
        if item["parameter_name"] == "list_ids":
            return list(dict.fromkeys(v.lower() for v in item["parameter_value"]))
    return []


def _check_lists(list_ids: list[str], list_exists: Any) -> None:
    if not list_ids:
        raise invalid("A list_join trigger needs a list_ids parameter naming at least one list.")
    for list_id in list_ids:
        if not is_uuid(list_id) or not list_exists(list_id):
            raise invalid(f"list_ids: the contact list {list_id[:40]} does not exist.")


def workflow_name(raw: str | None) -> str | None:
    """The ``workflowName`` query value, bounded (None when absent)."""
    if raw is None:
        return None
    if not 0 < len(raw.strip()) <= MAX_NAME:
        raise invalid(f"workflowName must be 1 to {MAX_NAME} characters.")
    return raw.strip()


def update(body: Any) -> dict[str, Any]:
    """The ``automation_flow`` object of a PUT body, its known fields type-checked."""
    if not isinstance(body, dict) or not isinstance(body.get("automation_flow"), dict):
        raise invalid("The request body must be {automation_flow: {...}}.")
    flow: dict[str, Any] = body["automation_flow"]
    if "name" in flow:
        _text(flow, "name", MAX_NAME)
    if flow.get("description"):  # the GET answers "" for none: a PUT may send that back
        _text(flow, "description", 2000)
    status = flow.get("status")
    if status is not None and not is_choice(status, STATUSES):
        raise invalid(f"status must be one of {', '.join(STATUSES)}.")
    for key in ("draft_definition", "active_definition"):
        if key in flow and not isinstance(flow[key], dict):
            raise invalid(f"{key} must be an object.")
    return flow
