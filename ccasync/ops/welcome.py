"""A welcome email with a per-contact link, sent by a list-join automation: 1 call per sign-up.

Set up once with :func:`ensure_welcome_flow` (idempotent: run it at every start):

1. the sign-up list and a custom field for the link are found or created;
2. the list-join automation is found by name or created, with ``unique_by: contact_id``
   (each contact gets the welcome once, ever);
3. its email (the automation's own campaign activity) gets your subject, sender and HTML, in
   which ``$link`` becomes the custom field's merge tag;
4. the automation is activated.

Then each sign-up is **one** ``sign_up_form`` call (:meth:`WelcomeFlow.sign_up`): the contact is
created or updated with its link in the custom field and joins the list; the automation mails
it, the link filled in per contact, with no further call.

**Cost against** :func:`ccasync.ops.send_to_audience` (measured on the simulator,
``benchmarks/bench_welcome.py``): the setup costs 9 calls the first time (list and custom field
looked up and created, the automation looked up and created, its email read and written, one PUT
to activate) and 5 on a rerun (lookups only); then **1 call per sign-up**, and the mail leaves as
the automation runs. ``send_to_audience`` costs 9 calls per batch (13 for the first; 8 and 12
with a journal), so 9-13 per user when each sign-up must be mailed at once, and waits for a
whole campaign to send.

**When to use which.** Use the welcome flow for mail triggered by a contact *joining* the list:
welcome, activation link, autoresponder; one mail per contact (a contact already on the list,
or one who was welcomed before, is not mailed again). Use ``send_to_audience`` for mail about
data that changes (a notification per batch, several times per contact), or to reach contacts
who are already members.

UNCONFIRMED (the spec documents schemas, not behaviour, for automations): that the automation's
email is the campaign activity named in its send-email task's ``correlation_metadata`` and is
edited with ``PUT /emails/activities/{id}``; that ``status: ACTIVE`` in a PUT activates it;
the merge-tag syntax ``[[<custom field name>]]`` for a custom field in custom-code HTML.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

import attrs

from ccasync.errors import ValidationError
from ccasync.models.automations import AutomationCampaign, TriggerDef

if TYPE_CHECKING:
    from ccasync.client import Client
    from ccasync.models.contacts import SignUpFormResult

__all__ = ["WelcomeEmail", "WelcomeFlow", "ensure_welcome_flow", "link_merge_tag"]

LINK_PLACEHOLDER = "link"
"""The ``$link`` placeholder of :class:`WelcomeEmail` text: replaced by the link's merge tag."""


def link_merge_tag(field_name: str) -> str:
    """The merge tag that shows a contact's custom field ``field_name`` in an email.

    UNCONFIRMED: ``[[<name>]]`` (the field's ``name``: its label with underscores) is what the
    simulator fills; Constant Contact's documentation does not spell out the custom-code form.
    """
    return f"[[{field_name}]]"


@attrs.frozen(kw_only=True)
class WelcomeEmail:
    """The welcome email; ``$link`` in ``subject``, ``preheader`` or ``html_content`` becomes the
    per-contact link (a literal ``$`` is written ``$$``).

    ``from_email`` and ``reply_to_email`` (default ``from_email``) must be CONFIRMED account
    emails. ``html_content`` follows the campaign rules (``[[trackingImage]]`` inside ``<body>``
    to track opens).
    """

    subject: str
    from_name: str
    from_email: str
    html_content: str
    reply_to_email: str | None = None
    preheader: str | None = None

    def render(self, merge_tag: str) -> dict[str, str | None]:
        """The email fields with ``$link`` replaced by ``merge_tag``.

        Raises :class:`ValidationError` naming the field for an unknown or malformed placeholder.
        """
        fields = {
            "subject": self.subject,
            "from_name": self.from_name,
            "from_email": self.from_email,
            "reply_to_email": self.reply_to_email or self.from_email,
            "html_content": self.html_content,
            "preheader": self.preheader,
        }
        return {k: None if v is None else _fill(k, v, merge_tag) for k, v in fields.items()}


def _fill(field: str, text: str, merge_tag: str) -> str:
    try:
        return string.Template(text).substitute({LINK_PLACEHOLDER: merge_tag})
    except KeyError as exc:
        raise ValidationError(field, f"unknown placeholder ${exc.args[0]} (only $link)") from exc
    except ValueError as exc:
        raise ValidationError(field, f"bad placeholder ({exc}); write a literal $ as $$") from exc


@attrs.frozen(kw_only=True)
class WelcomeFlow:
    """What :func:`ensure_welcome_flow` set up: the ids every sign-up reuses.

    ``calls``: API calls the setup cost (retries included).
    """

    automation_flow_id: str
    list_id: str
    custom_field_id: str
    field_name: str
    email_activity_id: str
    calls: int

    async def sign_up(
        self,
        cc: Client,
        email_address: str,
        link: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> SignUpFormResult:
        """Sign ``email_address`` up with its own ``link``: **one** ``sign_up_form`` call.

        The contact is created or updated (consent becomes explicit: use it only for real
        sign-ups), its link stored in the flow's custom field (≤255 chars), and it joins the
        list; a contact joining for the first time gets the welcome email with its link. Raises
        ValidationError (link too long, bad address), APIError subclasses.
        """
        if not link:
            raise ValidationError("link", "is required")
        return await cc.contacts.sign_up_form(
            email_address=email_address,
            first_name=first_name,
            last_name=last_name,
            list_memberships=[self.list_id],
            custom_fields={self.custom_field_id: link},
        )


async def ensure_welcome_flow(
    cc: Client,
    *,
    name: str,
    list_name: str,
    email: WelcomeEmail,
    link_field: str = "Welcome link",
) -> WelcomeFlow:
    """Find or create the list, link field, list-join automation and its email; activate it.

    ``name`` names the automation (unique per account: a second run finds it); ``list_name``
    the sign-up list; ``link_field`` the custom field's label. 9 calls the first time;
    idempotent: a rerun costs 5 calls and changes nothing that is already right (the email is
    PUT only when it differs).
    Raises ValidationError (bad template, or an automation of that name that triggers on
    another list or has no email), APIError subclasses.
    """
    before = cc.calls
    contact_list = await cc.lists.find_by_name(list_name) or await cc.lists.create(list_name)
    field = await cc.custom_fields.find_by_name(link_field)
    if field is None:
        field = await cc.custom_fields.create(link_field)
    field_name = field.name or field.label.replace(" ", "_")
    rendered = email.render(link_merge_tag(field_name))
    flow = await _automation(cc, name, contact_list.list_id)
    activity_id = _email_of(flow, name)
    await _write_email(cc, activity_id, rendered)
    if flow.status != "ACTIVE":
        flow.status = "ACTIVE"
        flow = await cc.automations.update(flow)
    return WelcomeFlow(
        automation_flow_id=flow.automation_flow_id,
        list_id=contact_list.list_id,
        custom_field_id=field.custom_field_id,
        field_name=field_name,
        email_activity_id=activity_id,
        calls=cc.calls - before,
    )


async def _automation(cc: Client, name: str, list_id: str) -> AutomationCampaign:
    found = await cc.automations.find_by_name(name)
    if found is None:
        return await cc.automations.create(TriggerDef.list_join([list_id]), workflow_name=name)
    flow = await cc.automations.get(found.id)
    lists = {
        i.lower()
        for d in (flow.draft_definition, flow.active_definition)
        if d and d.trigger and d.trigger.trigger_def
        for i in d.trigger.trigger_def.list_ids()
    }
    if lists and list_id.lower() not in lists:
        raise ValidationError("name", f"the automation {name!r} triggers on other lists")
    return flow


def _email_of(flow: AutomationCampaign, name: str) -> str:
    ids = flow.email_activity_ids()
    if not ids:
        raise ValidationError("name", f"the automation {name!r} has no email task")
    return ids[0]


async def _write_email(cc: Client, activity_id: str, rendered: dict[str, str | None]) -> None:
    # html_content comes back only when asked for; the footer too (a PUT without it clears it).
    activity = await cc.campaigns.get_activity(
        activity_id, include=("html_content", "physical_address_in_footer")
    )
    if all(getattr(activity, k) == v for k, v in rendered.items() if v is not None):
        return
    for key, value in rendered.items():
        if value is not None:
            setattr(activity, key, value)
    await cc.campaigns.update_activity(activity)
