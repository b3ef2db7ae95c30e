"""The custom fields API area (``/contact_custom_fields``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from ccasync import _checks
from ccasync._serde import unstructure
from ccasync.errors import ConflictError
from ccasync.models.custom_fields import CustomField, CustomFieldChoice, check_custom_field_input
from ccasync.resources._base import Resource


def _choices(choices: Sequence[str | CustomFieldChoice] | None) -> list[CustomFieldChoice]:
    out: list[CustomFieldChoice] = []
    for order, choice in enumerate(choices or (), start=1):
        if isinstance(choice, str):
            out.append(CustomFieldChoice(choice_label=choice, display_order=order))
        else:
            out.append(choice)
    return out


class CustomFieldsResource(Resource):
    """The custom field endpoints; reach it as ``cc.custom_fields``."""

    async def create(
        self,
        label: str,
        type: str = "string",  # the agreed name: the API calls it "type"
        choices: Sequence[str | CustomFieldChoice] | None = None,
    ) -> CustomField:
        """Create a custom field (``POST /contact_custom_fields``).

        ``label`` 1-50 chars, unique; ``type`` ≤20 chars (string, date, number, currency,
        single_select, multi_select seen; the full list is UNCONFIRMED); ``choices`` (labels or
        records, ≤100) for select types. An account holds at most 100 custom fields. One API
        call; after a 5xx, timeout or dropped connection the field is looked up by label
        (:meth:`find_by_name`, 1 call per 100 fields) and returned if the POST landed, else sent
        again (retry policy's ``max_attempts``). Raises ValidationError, ConflictError (label
        taken), other APIError subclasses.
        """
        items = _choices(choices)
        check_custom_field_input(label, type, items)
        body: dict[str, object] = {"label": label, "type": type}
        if items:
            body["choices"] = [
                {"choice_label": c.choice_label, "display_order": c.display_order} for c in items
            ]

        async def send() -> CustomField:
            return await self._requestor.send_model(
                "POST", "/contact_custom_fields", CustomField, json=body, expected=(201,)
            )

        return await self._requestor.send_checked(
            send, lambda: self.find_by_name(label), what=f"custom field {label!r}"
        )

    async def get(self, custom_field_id: str) -> CustomField:
        """Get one custom field (``GET /contact_custom_fields/{id}``).

        One API call. Raises ValidationError (malformed id), NotFoundError, other APIErrors.
        """
        _checks.check_uuid("custom_field_id", custom_field_id)
        return await self._requestor.get_model(
            f"/contact_custom_fields/{custom_field_id}", CustomField
        )

    async def update(self, custom_field: CustomField) -> CustomField:
        """Replace a custom field's label and choices (``PUT /contact_custom_fields/{id}``).

        Omitted properties become null on the server, so pass a record read from the API.
        One API call, retried safely. Raises ValidationError, NotFoundError, ConflictError.
        """
        _checks.check_uuid("custom_field_id", custom_field.custom_field_id)
        check_custom_field_input(custom_field.label, custom_field.type, custom_field.choices)
        body = {
            "label": custom_field.label,
            "choices": [
                {
                    k: v
                    for k, v in unstructure(c).items()
                    if k in ("choice_id", "choice_label", "display_order")
                }
                for c in custom_field.choices
            ],
        }
        return await self._requestor.send_model(
            "PUT", f"/contact_custom_fields/{custom_field.custom_field_id}", CustomField, json=body
        )

    async def delete(self, custom_field_id: str) -> None:
        """Delete one custom field and its values (``DELETE /contact_custom_fields/{id}``, 204).

        One API call. Raises ValidationError, NotFoundError, other APIError subclasses.
        """
        _checks.check_uuid("custom_field_id", custom_field_id)
        await self._requestor.request("DELETE", f"/contact_custom_fields/{custom_field_id}")

    def iter_all(self, *, limit: int = 100) -> AsyncIterator[CustomField]:
        """Iterate over the account's custom fields (``GET /contact_custom_fields``).

        ``limit`` 1-100 per page (one API call per page). Raises ValidationError, APIError.
        """
        _checks.check_range("limit", limit, low=1, high=100)
        return self._requestor.iter_items(
            "/contact_custom_fields",
            items_key="custom_fields",
            model=CustomField,
            params={"limit": limit},
        )

    async def find_by_name(self, name: str) -> CustomField | None:
        """The custom field whose ``name`` (or ``label``) is ``name``, or None.

        Pages through every field (the API has no name filter). Raises APIError subclasses.
        """
        async for field in self.iter_all():
            if name in (field.name, field.label):
                return field
        return None

    async def get_or_create(
        self,
        label: str,
        type: str = "string",  # the agreed name: the API calls it "type"
        choices: Sequence[str | CustomFieldChoice] | None = None,
    ) -> CustomField:
        """The custom field labelled ``label``, created (``type``, ``choices``) if missing.

        An existing field is returned as it is, even when its type differs. Safe when several
        processes create the same label at once: the loser of the race gets a 409 and reads
        the winner's field instead. Raises ValidationError, APIError subclasses.
        """
        found = await self.find_by_name(label)
        if found is not None:
            return found
        try:
            return await self.create(label, type, choices)
        except ConflictError:
            existing = await self.find_by_name(label)
            if existing is None:
                raise
            return existing
