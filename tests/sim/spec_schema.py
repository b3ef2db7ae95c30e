"""Conformance harness: validate a simulator response body against the official spec's schema.

The spec is located and read by :mod:`tests.spec.official_spec` (tests using it carry the ``spec``
marker and skip, with the reason said once, when it is absent).
"""

from __future__ import annotations

from typing import Any

import jsonschema

from tests.spec.official_spec import load_openapi3, load_spec


def load_oauth_schemas() -> dict[str, Any]:
    """The OAuth component schemas of the vendor's OpenAPI 3 file (beside the Swagger file)."""
    schemas = load_openapi3()["components"]["schemas"]
    return {
        name: schemas[name] for name in ("AccessTokenResponse", "DeviceFlowResponse", "OAuthError")
    }


def assert_matches_oauth(schema_name: str, body: Any) -> None:
    """Fail unless an OAuth endpoint body fits the vendor's schema and declares no extra keys."""
    schema = load_oauth_schemas()[schema_name]
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(body)]
    assert not errors, f"{schema_name}: {errors}"
    extra = sorted(set(body) - set(schema["properties"]))
    assert not extra, f"{schema_name}: fields not in the schema: {extra}"


def _operation(spec: dict[str, Any], method: str, path_template: str) -> dict[str, Any]:
    template = path_template.removeprefix("/v3")
    item = spec["paths"].get(template)
    if item is None or method.lower() not in item:
        raise AssertionError(f"{method} {template} is not an operation of the spec")
    return item[method.lower()]  # type: ignore[no-any-return]


def response_schema(method: str, path_template: str, status: int) -> dict[str, Any] | None:
    """The schema documented for ``status`` (None when that response has no body schema)."""
    spec = load_spec()
    responses = _operation(spec, method, path_template)["responses"]
    response = responses.get(str(status))
    if response is None:
        raise AssertionError(
            f"{method} {path_template}: status {status} is not documented (has {sorted(responses)})"
        )
    if "$ref" in response:
        response = spec["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response.get("schema")  # type: ignore[no-any-return]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def undeclared_fields(schema: dict[str, Any], body: Any, where: str = "$") -> list[str]:
    """JSON paths of object keys in ``body`` that ``schema`` does not declare (typo detector)."""
    spec = load_spec()
    schema = _resolve(spec, schema)
    found: list[str] = []
    if isinstance(body, dict) and "properties" in schema:
        for key, value in body.items():
            sub = schema["properties"].get(key)
            if sub is None:
                if not schema.get("additionalProperties"):
                    found.append(f"{where}.{key}")
                continue
            found.extend(undeclared_fields(sub, value, f"{where}.{key}"))
    elif isinstance(body, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(body):
            found.extend(undeclared_fields(schema["items"], item, f"{where}[{index}]"))
    return found


def assert_error_shape(status: int, body: Any) -> None:
    """Error bodies: a single object for 401/403/429, else an array of {error_key, error_message}.

    (The spec gives no schema for most error responses; the shapes come from the reference.)
    """
    items = [body] if status in (401, 403, 429) else body
    assert isinstance(items, list), f"{status}: expected an array of errors, got {body!r}"
    assert items, f"{status}: empty error array"
    for item in items:
        assert isinstance(item, dict), f"{status}: error item {item!r} is not an object"
        assert set(item) == {"error_key", "error_message"}, f"{status}: bad error item {item!r}"
        assert all(isinstance(v, str) for v in item.values()), f"{status}: {item!r}"


def assert_matches_spec(
    method: str, path_template: str, status: int, body: Any, *, allow_extra: bool = False
) -> None:
    """Fail unless ``body`` validates against the spec's schema for (method, path, status).

    ``path_template`` is the spec's form (``/contacts/{contact_id}``; a ``/v3`` prefix is ignored).
    Unless ``allow_extra``, keys the schema does not declare also fail (they hint at typos).
    """
    schema = response_schema(method, path_template, status)
    if schema is None and status >= 400:
        assert_error_shape(status, body)
        return
    if schema is None:
        assert body in (None, b"", "", {}), f"{method} {path_template} {status}: expected no body"
        return
    spec = load_spec()
    full = {**schema, "definitions": spec["definitions"]}
    validator = jsonschema.Draft4Validator(
        full, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}" for e in errors[:10]]
        raise AssertionError(
            f"{method} {path_template} {status} does not match the spec:\n" + "\n".join(lines)
        )
    if not allow_extra:
        extra = undeclared_fields(schema, body)
        assert not extra, f"{method} {path_template} {status}: fields not in the spec: {extra}"
