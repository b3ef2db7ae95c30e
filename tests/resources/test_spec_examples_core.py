"""Fidelity: the official spec's example payloads of every core operation fit our models.

The spec is located and read by :mod:`tests.spec.official_spec` (the ``spec`` marker skips these
tests when it is absent). Its examples live on schema properties (``example``) and, in some
versions, under each response (``examples``); both are collected. Each 2xx response example is
structured into the model the resource returns, must keep every key through a
structure/unstructure round trip, and must fill the model's known attributes.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from ccasync._serde import structure, unstructure
from ccasync.models.account import AccountEmail, AccountSummary, PhysicalAddress
from ccasync.models.activities import Activity, with_activity_id
from ccasync.models.contacts import Contact, ContactCounts, SignUpFormResult
from ccasync.models.custom_fields import CustomField
from ccasync.models.lists import ContactList
from ccasync.models.tags import Tag
from tests.spec.official_spec import load_spec

pytestmark = pytest.mark.spec

# operationId -> (model, key holding the items of a page or None for a single record,
#                 True when the body is a JSON array of records)
OPERATIONS: dict[str, tuple[type[Any], str | None, bool]] = {
    "getAccountById": (AccountSummary, None, False),
    "putCustomerById": (AccountSummary, None, False),
    "getPhysicalAddress": (PhysicalAddress, None, False),
    "addPhysicalAddress": (PhysicalAddress, None, False),
    "putPhysicalAddress": (PhysicalAddress, None, False),
    "retrieveEmailAddresses": (AccountEmail, None, True),
    "addAccountEmailAddress": (AccountEmail, None, False),
    "getContacts": (Contact, "contacts", False),
    "createContact": (Contact, None, False),
    "getContact": (Contact, None, False),
    "putContact": (Contact, None, False),
    "createOrUpdateContact": (SignUpFormResult, None, False),
    "countContact": (ContactCounts, None, False),
    "getCustomFields": (CustomField, "custom_fields", False),
    "postCustomFields": (CustomField, None, False),
    "getCustomField": (CustomField, None, False),
    "putCustomField": (CustomField, None, False),
    "getTags": (Tag, "tags", False),
    "postTag": (Tag, None, False),
    "getTag": (Tag, None, False),
    "putTag": (Tag, None, False),
    "deleteTag": (Activity, None, False),
    "getLists": (ContactList, "lists", False),
    "createList": (ContactList, None, False),
    "getList": (ContactList, None, False),
    "putList": (ContactList, None, False),
    "deleteListActivity": (Activity, None, False),
    "getActivityStatusCollection": (Activity, "activities", False),
    "getActivity": (Activity, None, False),
    "bulkImportContactsJSON": (Activity, None, False),
    "contactsCSVImport": (Activity, None, False),
    "postListAddContact": (Activity, None, False),
    "postListRemoveContact": (Activity, None, False),
    "postContactDelete": (Activity, None, False),
    "postListDelete": (Activity, None, False),
    "postTagAddContact": (Activity, None, False),
    "postTagRemoveContact": (Activity, None, False),
    "postTagDelete": (Activity, None, False),
    "postCustomFieldDelete": (Activity, None, False),
    "postContactsExport": (Activity, None, False),
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The parsed official spec."""
    return load_spec()


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for methods in spec["paths"].values():
        for operation in methods.values():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = operation
    return found


def _example(schema: dict[str, Any], definitions: dict[str, Any], depth: int = 0) -> Any:
    """An instance of ``schema`` assembled from its ``example`` values (None when it has none)."""
    if "$ref" in schema:
        if depth > 8:
            return None
        return _example(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions, depth + 1)
    if "example" in schema:
        return schema["example"]
    if schema.get("type") == "array":
        item = _example(schema.get("items", {}), definitions, depth + 1)
        return [item] if item is not None else []
    if schema.get("type") == "object" or "properties" in schema:
        built = {
            name: value
            for name, sub in (schema.get("properties") or {}).items()
            if (value := _example(sub, definitions, depth + 1)) is not None
        }
        return built or None
    return None


def _examples(spec: dict[str, Any], operation: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every 2xx example body of ``operation``: response-level ``examples`` and schema ones."""
    out: list[tuple[str, Any]] = []
    for code, response in operation.get("responses", {}).items():
        if not str(code).startswith("2") or not isinstance(response, dict):
            continue
        for media, body in (response.get("examples") or {}).items():
            out.append((f"{code} {media}", body))
        if "schema" in response:
            built = _example(response["schema"], spec.get("definitions", {}))
            if built is not None:
                out.append((f"{code} schema", built))
    return out


def _records(body: Any, items_key: str | None, is_array: bool) -> list[Any]:
    if is_array:
        assert isinstance(body, list)
        return body
    if items_key is not None:
        assert isinstance(body, dict)
        return list(body[items_key])
    return [body]


def _keys(value: Any) -> Any:
    """The nested key structure of a JSON value; a list is represented by its first non-empty
    object (``activity_errors`` of ``[{}]`` and ``[]`` carry the same information)."""
    if isinstance(value, dict):
        return {k: _keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return next((_keys(v) for v in value if isinstance(v, dict) and v), None)
    return None


def _kept(sent: Any, received: Any) -> bool:
    """True when every key of ``received`` is still in ``sent`` (defaults may add keys)."""
    if isinstance(received, dict):
        return isinstance(sent, dict) and all(
            k in sent and _kept(sent[k], v) for k, v in received.items()
        )
    return True


def _check_filled(record: Any, data: dict[str, Any]) -> None:
    for field in attrs.fields(type(record)):
        if field.name in data and data[field.name] is not None and field.name != "extra":
            assert getattr(record, field.name) is not None, field.name


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_spec_examples_structure_into_models(spec: dict[str, Any], operation_id: str) -> None:
    """Each 2xx example of the operation structures into our model and keeps every key."""
    model, items_key, is_array = OPERATIONS[operation_id]
    operations = _operations(spec)
    assert operation_id in operations, f"{operation_id} vanished from the spec"
    examples = _examples(spec, operations[operation_id])
    assert examples, f"{operation_id} has no example to check"
    for label, body in examples:
        for data in _records(body, items_key, is_array):
            if model is Activity:
                # As the resources do: DELETE /contact_lists documents no activity_id, only
                # the self link that names it.
                data = with_activity_id(data, None)
            record = structure(data, model)
            _check_filled(record, data)
            assert _kept(_keys(unstructure(record)), _keys(data)), f"{operation_id} {label}"


def test_contact_example_round_trip_keeps_unknown_fields(spec: dict[str, Any]) -> None:
    """A spec contact with extra server fields survives structure → unstructure unchanged."""
    contact = _examples(spec, _operations(spec)["getContact"])[0][1]
    data = {**contact, "future_field": {"nested": [1, 2]}}
    data["email_address"] = {**contact["email_address"], "new_flag": True}
    back = unstructure(structure(data, Contact))
    assert back["future_field"] == {"nested": [1, 2]}
    assert back["email_address"]["new_flag"] is True
    assert _keys(back) == _keys(data)
