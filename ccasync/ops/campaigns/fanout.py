"""One campaign per location, scheduled at each location's local wall-clock time; resumable.

Example::

    template = CampaignTemplate(
        name="Weekly offers $city $week",
        subject="This week in $city",
        from_name="Acme $city",
        from_email="news@acme.example",
        html_content="<html><body>[[trackingImage]]<p>Hello from $city!</p></body></html>",
    )
    locations = [
        Location(key="nyc", timezone="America/New_York", list_names=["NYC customers"],
                 values={"city": "New York", "week": "2026-W49"}),
        Location(key="ldn", timezone="Europe/London", list_names=["London customers"],
                 values={"city": "London", "week": "2026-W49"}),
    ]
    result = await create_campaigns_for_locations(cc, template, locations,
                                                  when="next Monday 09:00")
    for item in result:
        print(item.key, item.outcome, item.scheduled_local, item.calls, item.error)

Per location: render the template (``$name`` placeholders from ``values``), resolve the send
time in the location's zone (:mod:`~ccasync.ops.campaigns.scheduling`, DST-correct),
reuse the campaign of that name if an earlier run created it, else create it; set its lists;
optionally send a test; schedule it (or send it now). An activity already SCHEDULED,
EXECUTING or DONE is never scheduled again, so a rerun after a crash completes what is
missing and duplicates nothing.

Costs (API calls): per account, one page of ``GET /emails`` per 500 campaigns and (with list
names) one page of ``GET /contact_lists`` per 1,000 lists; per new location 3 (create, PUT of
the activity's recipients built from what the create sent, schedule) plus 1 for a test; per
reused location 2-4. A lost answer (5xx, timeout, dropped connection) to a create or a schedule
costs a check (the campaign by name, the activity's status) and a retry only if it did not land.
Locations of one account run one after another (the key's 4/s is the bottleneck anyway),
which also makes each location's call count exact; accounts of a pool run concurrently.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ccasync.errors import ValidationError
from ccasync.journal import JobRun, Journal, fingerprint
from ccasync.models.campaigns import CampaignActivity
from ccasync.ops._common import QuotaStop, is_quota, quota_stop
from ccasync.ops.campaigns._lookups import (
    CampaignIndex,
    create_or_find,
    created_activity,
    load_list_names,
    resolve_lists,
)
from ccasync.ops.campaigns._results import CampaignResult, FanoutResult
from ccasync.ops.campaigns._resume import FanoutSteps, ItemSteps
from ccasync.ops.campaigns._send import SendPlan, StepFailed, finish
from ccasync.ops.campaigns._targets import group_by_account, run_accounts
from ccasync.ops.campaigns.scheduling import (
    GapPolicy,
    LocalTime,
    OverlapPolicy,
    When,
    parse_when,
    resolve_when,
    zone_info,
)
from ccasync.pool import AccountPool

if TYPE_CHECKING:
    from ccasync.client import Client

__all__ = [
    "DEFAULT_MIN_LEAD",
    "CampaignResult",
    "CampaignTemplate",
    "FanoutResult",
    "Location",
    "ScheduleItem",
    "create_campaigns_for_locations",
    "schedule_campaigns",
]

DEFAULT_MIN_LEAD = dt.timedelta(minutes=20)
"""Send times closer than this are refused as past. UNCONFIRMED: the API documents no minimum
lead time; a third-party page claims 20 minutes, so that is the safe default."""

Progress = Callable[[CampaignResult], None]
_TEMPLATE_FIELDS = (
    "name",
    "subject",
    "from_name",
    "from_email",
    "reply_to_email",
    "html_content",
    "preheader",
)


def _tuple(value: Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen(kw_only=True)
class CampaignTemplate:
    """The campaign every location gets, with ``$placeholder`` (``string.Template``) fields.

    ``reply_to_email`` defaults to ``from_email``. Both must be CONFIRMED account emails.
    ``preheader`` is the plain-text line shown by inboxes: custom-code (format 5) emails have
    no separate plain-text part in the v3 API (``text_content`` exists only for legacy
    formats), so per-location text goes here. A literal ``$`` is written ``$$``.
    """

    name: str
    subject: str
    from_name: str
    from_email: str
    html_content: str
    reply_to_email: str | None = None
    preheader: str | None = None

    def render(self, values: Mapping[str, Any]) -> dict[str, str | None]:
        """The campaign fields with ``values`` substituted.

        Raises :class:`ValidationError` naming the field and the placeholder that has no value
        or whose value is None (it would render as the text "None"). Other values render as
        ``str(value)``.
        """
        out: dict[str, str | None] = {}
        for field in _TEMPLATE_FIELDS:
            text = getattr(self, field)
            out[field] = None if text is None else _substitute(field, text, values)
        out["reply_to_email"] = out["reply_to_email"] or out["from_email"]
        return out


class _Values(Mapping[str, Any]):
    """Template values as ``string.Template`` reads them: a None value is refused, not "None"."""

    def __init__(self, field: str, values: Mapping[str, Any]) -> None:
        self._field = field
        self._values = values

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        if value is None:
            raise ValidationError(self._field, f"value for ${key} is None")
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _substitute(field: str, text: str, values: Mapping[str, Any]) -> str:
    try:
        return string.Template(text).substitute(_Values(field, values))
    except KeyError as exc:
        raise ValidationError(field, f"no value for placeholder ${exc.args[0]}") from exc
    except ValueError as exc:
        raise ValidationError(field, f"bad placeholder ({exc}); write a literal $ as $$") from exc


@attrs.frozen(kw_only=True)
class Location:
    """One location: a unique ``key``, its IANA ``timezone``, template values and recipients.

    ``list_ids`` and/or ``list_names`` (resolved in the location's account) give the lists;
    ``account`` names the pool account (optional with a single Client or a one-account pool);
    ``when`` overrides the run's send-time rule for this location.
    """

    key: str
    timezone: str
    values: Mapping[str, Any] = attrs.field(factory=dict)
    list_ids: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    list_names: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    account: str | None = None
    when: When | None = None


@attrs.frozen(kw_only=True)
class _Run:
    template: CampaignTemplate
    when: When
    send_now: bool
    test_to: tuple[str, ...] | None
    personal_message: str | None
    min_lead: dt.timedelta
    gap: GapPolicy
    overlap: OverlapPolicy
    clock: Callable[[], dt.datetime] | None
    on_progress: Progress | None
    steps: FanoutSteps | None = None


async def create_campaigns_for_locations(
    target: Client | AccountPool,
    template: CampaignTemplate,
    locations: Sequence[Location],
    *,
    when: When = "next Monday 09:00",
    send_now: bool = False,
    send_test_to: Sequence[str] | None = None,
    personal_message: str | None = None,
    min_lead: dt.timedelta = DEFAULT_MIN_LEAD,
    gap: GapPolicy = "forward",
    overlap: OverlapPolicy = "earlier",
    clock: Callable[[], dt.datetime] | None = None,
    concurrency: int | None = None,
    on_progress: Progress | None = None,
    journal: Journal | None = None,
    job_id: str | None = None,
) -> FanoutResult:
    """Create, address, test and schedule one campaign per location; safe to rerun.

    - ``when``: local wall-clock rule (see :data:`ccasync.ops.campaigns.scheduling.When`),
      resolved in each location's zone; ``send_now`` sends at once instead.
      ``gap``/``overlap`` choose how DST-nonexistent and ambiguous local times resolve
      (defaults: move forward; earlier).
    - ``send_test_to``: 1-5 addresses that get a test of each new campaign (the account may
      send 50 test recipients a day; a rerun may repeat a test: the API keeps no record).
    - ``min_lead``: a time less than this after now is refused per location as past.
    - ``clock``: "now" (aware); default: the client's ``campaigns.clock``.
    - ``concurrency``: pool accounts run at once (default: all); ``on_progress`` is called with
      each finished :class:`CampaignResult`.

    - ``journal``/``job_id``: record each location's campaign, activity, test and schedule as
      they happen (:mod:`ccasync.journal`). A rerun of the job then costs 0 calls for finished
      locations (reported from the journal), resumes unfinished ones at their last step, and
      never sends a location's test twice. The job's input is its locations' keys (and
      accounts); another set under the same ``job_id`` is a :class:`ValidationError`. Without
      a journal a rerun costs about one ``GET /emails`` page per account for finished work
      (the listing's ``current_status`` shows it; their scheduled times are then not reported).
    - A daily quota stop (``QuotaExhaustedError`` or the API's quota 429) ends each account's
      run at the location it reached (the others fail as not tried, with the same error);
      ``result.quota_stop`` says when the budget resets and estimates the calls still needed.

    Returns a :class:`FanoutResult` in input order; failures are recorded per location, never
    raised (call ``raise_for_failures()``). Raises :class:`ValidationError` before any call for
    a repeated location key, an unknown time zone, a malformed ``when`` or more than 5 test
    addresses, or a ``job_id`` rerun with other locations; :class:`CoordinationError` when
    another process runs the same job.
    """
    _check_locations(locations)
    if send_test_to is not None and not 1 <= len(send_test_to) <= 5:
        raise ValidationError("send_test_to", "give 1 to 5 addresses (API limit per test)")
    if isinstance(when, str):
        parse_when(when)
    job = _job(journal, job_id, "create_campaigns_for_locations", locations)
    async with job if job is not None else contextlib.nullcontext():
        return await _fan_out(
            target,
            locations,
            _Run(
                template=template,
                when=when,
                send_now=send_now,
                test_to=tuple(send_test_to) if send_test_to else None,
                personal_message=personal_message,
                min_lead=min_lead,
                gap=gap,
                overlap=overlap,
                clock=clock,
                on_progress=on_progress,
                steps=FanoutSteps(job) if job is not None else None,
            ),
            concurrency,
        )


def _job(
    journal: Journal | None, job_id: str | None, kind: str, items: Sequence[Any]
) -> JobRun | None:
    """The job run for ``journal``/``job_id`` (None without a journal); the input is the
    items' keys and accounts."""
    if (journal is None) != (job_id is None):
        raise ValidationError("job_id", "give journal= and job_id= together")
    if journal is None or job_id is None:
        return None
    keys = sorted([str(item.account or ""), str(item.key)] for item in items)
    return JobRun(journal, job_id, fingerprint(kind, keys))


async def _fan_out(
    target: Client | AccountPool,
    locations: Sequence[Location],
    run: _Run,
    concurrency: int | None,
) -> FanoutResult:
    setup: dict[str, int] = {}
    groups, orphans = group_by_account(target, locations, lambda loc: loc.account)

    async def work(cc: Client, account: str, items: list[Location]) -> list[CampaignResult]:
        return await _run_account(cc, account, items, run, setup)

    results = await run_accounts(
        target, groups, work, concurrency=concurrency, on_account_error=_account_failed
    )
    results += [_failed(loc.key, loc.account, "account", exc) for loc, exc in orphans]
    order = {loc.key: n for n, loc in enumerate(locations)}
    items = tuple(sorted(results, key=lambda r: order[r.key]))
    return FanoutResult(items, setup, quota_stop=_quota_stop(items, run.test_to is not None))


def _quota_stop(items: Sequence[CampaignResult], tests: bool) -> QuotaStop | None:
    """When a daily quota stopped the run: its reset and an estimate of the calls still needed."""
    errors = [item.error for item in items if not item.ok and is_quota(item.error)]
    if not errors:
        return None
    pending = [item for item in items if not item.ok]
    # A new location costs 3 calls (POST /emails, PUT without GET, POST schedule); a reused
    # draft 2-4: 3 is the common case, so the estimate is neither padded nor short by design.
    per = 3 + tests
    accounts = len({item.account for item in pending})
    note = (
        f"estimate: ~{per} calls for each of the {len(pending)} unfinished items plus 1 "
        f"campaign listing for each of their {accounts} accounts; finished items cost nothing "
        "with a journal, and are covered by that listing without one"
    )
    return quota_stop(errors, per * len(pending) + accounts, note)


def _check_locations(locations: Sequence[Location]) -> None:
    seen: set[str] = set()
    for row, loc in enumerate(locations, start=1):
        if loc.key in seen:
            raise ValidationError("key", "location keys must be unique", row=row, value=loc.key)
        seen.add(loc.key)
        zone_info(loc.timezone)
        if isinstance(loc.when, str):
            parse_when(loc.when)


def _failed(key: str, account: str | None, step: str, exc: Exception) -> CampaignResult:
    return CampaignResult(key=key, account=account, outcome="failed", step=step, error=exc)


def _account_failed(account: str, items: list[Any], exc: Exception) -> list[CampaignResult]:
    return [_failed(_key(item), account or None, "account", exc) for item in items]


def _key(item: Any) -> str:
    return str(item.key)


async def _run_account(
    cc: Client, account: str, locations: list[Location], run: _Run, setup: dict[str, int]
) -> list[CampaignResult]:
    recorded = {loc.key: run.steps.finished(loc.key) for loc in locations} if run.steps else {}
    todo = [loc for loc in locations if recorded.get(loc.key) is None]
    with cc.count_calls() as setup_count:
        index = CampaignIndex({})
        if any(run.steps is None or run.steps.item(loc.key).campaign() is None for loc in todo):
            index = await CampaignIndex.load(cc)
        names: dict[str, str] = {}
        if any(loc.list_names and not _listed_finished(run, loc, index) for loc in todo):
            names = await load_list_names(cc)
    setup[account] = setup_count.calls
    seen: set[str] = set()
    results = []
    stop: Exception | None = None
    for loc in locations:
        earlier = recorded.get(loc.key)
        if earlier is not None:
            result = attrs.evolve(earlier, account=account or None)
        elif stop is not None:
            result = _failed(loc.key, account or None, "quota", stop)  # not tried: no call
        else:
            with cc.count_calls() as count:
                got = await _one_location(cc, account or None, loc, run, index, names, seen)
            result = CampaignResult(**got, calls=count.calls)
            if run.steps is not None:
                await run.steps.item(loc.key).finished(result, loc.timezone)
            if not result.ok and is_quota(result.error):
                stop = result.error
        if run.on_progress is not None:
            run.on_progress(result)
        results.append(result)
    return results


_FINISHED = {"Scheduled": "already_scheduled", "Executing": "already_sent", "Done": "already_sent"}
"""Campaign ``current_status`` values (``GET /emails``) of work that is finished.
UNCONFIRMED for the real API: that a campaign's listed status follows its primary activity's
(the reference says so of ``current_status``; the simulator does it)."""


def _listed_finished(run: _Run, loc: Location, index: CampaignIndex) -> bool:
    try:
        name = run.template.render({"key": loc.key, **loc.values})["name"]
    except ValidationError:
        return False
    return index.status(str(name)) in _FINISHED


async def _one_location(
    cc: Client,
    account: str | None,
    loc: Location,
    run: _Run,
    index: CampaignIndex,
    names: dict[str, str],
    seen: set[str],
) -> dict[str, Any]:
    """One location's :class:`CampaignResult` fields (all but ``calls``)."""
    # Fields gathered as the steps go, so that a failure still reports what was reached.
    got: dict[str, Any] = {"key": loc.key, "account": account}
    item = run.steps.item(loc.key) if run.steps is not None else None
    try:
        fields = _render(run.template, loc, seen)
        name = str(fields["name"])
        got["name"] = name
        known = item.campaign() if item is not None else None
        listed = _FINISHED.get(index.status(name)) if known is None else None
        if listed is not None:
            # The listing shows it finished: no GET of the campaign, its activity or schedule.
            return {**got, "campaign_id": index.get(name), "outcome": listed}
        lists = _step_sync("lists", lambda: resolve_lists(loc.list_ids, loc.list_names, names))
        at = _send_time(run, loc, cc)
        hint: CampaignActivity | str | None
        if known is not None:
            got["campaign_id"], hint = known
        else:
            if isinstance(at, Exception) and index.get(name) is None:
                raise StepFailed("time", at)  # nothing to resume: create nothing
            got["campaign_id"], hint, got["created"] = await _campaign(cc, index, fields, item)
        activity = await _activity(cc, got["campaign_id"], hint)
        got["activity_id"] = activity.campaign_activity_id
        plan = SendPlan(
            list_ids=lists,
            at=at,
            tz=zone_info(loc.timezone),
            send_now=run.send_now,
            test_to=run.test_to,
            personal_message=run.personal_message,
            steps=item,
        )
        got.update(await finish(cc, activity, plan))
    except StepFailed as failed:
        got.update(outcome="failed", step=failed.step, error=failed.error)
    except Exception as exc:  # anything else in one location is that location's failure only
        got.update(outcome="failed", step="unexpected", error=exc)
    return got


def _step_sync(step: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Exception as exc:
        raise StepFailed(step, exc) from exc


def _render(template: CampaignTemplate, loc: Location, seen: set[str]) -> dict[str, str | None]:
    values = {"key": loc.key, **loc.values}
    fields: dict[str, str | None] = _step_sync("render", lambda: template.render(values))
    name = str(fields["name"])
    if name in seen:
        error = ValidationError("name", "two locations of one account render the same name")
        raise StepFailed("render", error)
    seen.add(name)
    return fields


def _send_time(run: _Run, loc: Location, cc: Client) -> LocalTime | Exception | None:
    """The resolved time, or the reason there is none (kept: a reused campaign may be done)."""
    if run.send_now:
        return None
    now = (run.clock or cc.campaigns.clock)()
    try:
        rule = loc.when if loc.when is not None else run.when
        tz = zone_info(loc.timezone)
        return resolve_when(rule, tz, now, min_lead=run.min_lead, gap=run.gap, overlap=run.overlap)
    except ValidationError as exc:  # resolve_when turns 9999-12-31 23:59 west of UTC into one
        return exc


async def _campaign(
    cc: Client, index: CampaignIndex, fields: dict[str, str | None], item: ItemSteps | None
) -> tuple[str, CampaignActivity | str | None, bool]:
    """``(campaign_id, what is known of its primary activity, created)``.

    What is known: the DRAFT activity as this run created it (no GET needed), or the primary
    activity's id (a campaign found after a 409), or None (a campaign from the name index).
    """
    name = str(fields["name"])
    existing = index.get(name)
    if existing is not None:
        if item is not None:
            await item.created(existing, None)
        return existing, None, False
    if item is not None:
        await item.before_create(name)
    try:
        campaign, created = await create_or_find(cc, fields)
        known: CampaignActivity | str = (
            created_activity(campaign, fields)
            if created and campaign.current_status in (None, "Draft")
            else campaign.primary_activity_id
        )
    except Exception as exc:
        raise StepFailed("create", exc) from exc
    campaign_id = campaign.campaign_id
    index.add(name, campaign_id)
    if item is not None:
        activity_id = known.campaign_activity_id if isinstance(known, CampaignActivity) else known
        await item.created(campaign_id, activity_id)
    return campaign_id, known, created


async def _activity(cc: Client, campaign_id: str, known: CampaignActivity | str | None) -> Any:
    if isinstance(known, CampaignActivity):
        return known
    try:
        activity_id = known
        if activity_id is None:
            activity_id = (await cc.campaigns.get(campaign_id)).primary_activity_id
        return await cc.campaigns.get_activity(activity_id)
    except Exception as exc:
        raise StepFailed("activity", exc) from exc


@attrs.frozen(kw_only=True)
class ScheduleItem:
    """One existing activity to schedule: ``activity_id``, when, and optionally where.

    ``at`` is an aware instant, or a naive local wall time read in ``timezone``, or a
    :data:`When` rule (with ``timezone``). ``key`` names the item in results (default: the
    activity id); ``list_ids`` replace the recipients when given.
    """

    activity_id: str
    at: dt.datetime | When
    timezone: str = "UTC"
    account: str | None = None
    key: str | None = None
    list_ids: tuple[str, ...] | None = None


async def schedule_campaigns(
    target: Client | AccountPool,
    items: Sequence[ScheduleItem],
    *,
    min_lead: dt.timedelta = DEFAULT_MIN_LEAD,
    gap: GapPolicy = "forward",
    overlap: OverlapPolicy = "earlier",
    reschedule: bool = False,
    clock: Callable[[], dt.datetime] | None = None,
    concurrency: int | None = None,
    on_progress: Progress | None = None,
    journal: Journal | None = None,
    job_id: str | None = None,
) -> FanoutResult:
    """Schedule many existing activities across accounts, each at its own time; safe to rerun.

    An activity already SCHEDULED keeps its time (reported as ``already_scheduled``, with a
    note when it differs) unless ``reschedule`` (unschedule + schedule: 2 more calls); one
    already EXECUTING or DONE is never scheduled again (that would resend to new list
    members). Costs 2 calls per item (GET activity, POST schedule), +1 with ``list_ids``.
    Failures (past time, 404, wrong status...) are recorded per item. With ``journal`` and
    ``job_id`` (input: the items' keys and accounts), a rerun reports items that ended ok from
    the journal at no call; a daily quota stop sets ``result.quota_stop`` as in
    :func:`create_campaigns_for_locations`.
    """
    rows = [attrs.evolve(item, key=item.key or item.activity_id) for item in items]
    job = _job(journal, job_id, "schedule_campaigns", rows)
    async with job if job is not None else contextlib.nullcontext():
        steps = FanoutSteps(job) if job is not None else None
        options = (min_lead, gap, overlap, reschedule, clock)
        return await _schedule_all(target, rows, options, concurrency, on_progress, steps)


async def _schedule_all(
    target: Client | AccountPool,
    rows: list[ScheduleItem],
    options: tuple[dt.timedelta, GapPolicy, OverlapPolicy, bool, Callable[[], dt.datetime] | None],
    concurrency: int | None,
    on_progress: Progress | None,
    steps: FanoutSteps | None,
) -> FanoutResult:
    min_lead, gap, overlap, reschedule, clock = options
    setup: dict[str, int] = {}
    groups, orphans = group_by_account(target, rows, lambda item: item.account)

    async def work(cc: Client, account: str, batch: list[ScheduleItem]) -> list[CampaignResult]:
        out = []
        stop: Exception | None = None
        for item in batch:
            key = str(item.key)
            earlier = steps.finished(key) if steps is not None else None
            if earlier is not None:
                result = attrs.evolve(earlier, account=account or None)
            elif stop is not None:
                result = _failed(key, account or None, "quota", stop)  # not tried: no call
            else:
                hooks = steps.item(key) if steps is not None else None
                with cc.count_calls() as count:
                    result = await _schedule_one(
                        cc, account or None, item, min_lead, gap, overlap, reschedule, clock, hooks
                    )
                result = attrs.evolve(result, calls=count.calls)
                if hooks is not None:
                    await hooks.finished(result, item.timezone)
                if not result.ok and is_quota(result.error):
                    stop = result.error
            if on_progress is not None:
                on_progress(result)
            out.append(result)
        return out

    results = await run_accounts(
        target, groups, work, concurrency=concurrency, on_account_error=_account_failed
    )
    results += [_failed(str(item.key), item.account, "account", exc) for item, exc in orphans]
    order = {str(item.key): n for n, item in enumerate(rows)}
    ordered = tuple(sorted(results, key=lambda r: order[r.key]))
    return FanoutResult(ordered, setup, quota_stop=_quota_stop(ordered, tests=False))


async def _schedule_one(
    cc: Client,
    account: str | None,
    item: ScheduleItem,
    min_lead: dt.timedelta,
    gap: GapPolicy,
    overlap: OverlapPolicy,
    reschedule: bool,
    clock: Callable[[], dt.datetime] | None,
    hooks: ItemSteps | None = None,
) -> CampaignResult:
    base = CampaignResult(key=str(item.key), account=account, activity_id=item.activity_id)
    try:
        tz = _step_sync("time", lambda: zone_info(item.timezone))
        now = (clock or cc.campaigns.clock)()
        at: LocalTime | Exception
        try:
            rule = _as_rule(item.at)
            at = resolve_when(rule, tz, now, min_lead=min_lead, gap=gap, overlap=overlap)
        except ValidationError as exc:  # ScheduleTimeError included (years beyond 1-9999)
            at = exc
        activity = await _step_async("activity", cc.campaigns.get_activity(item.activity_id))
        base = attrs.evolve(base, campaign_id=activity.campaign_id)
        plan = SendPlan(list_ids=item.list_ids, at=at, tz=tz, reschedule=reschedule, steps=hooks)
        return attrs.evolve(base, **await finish(cc, activity, plan))
    except StepFailed as failed:
        return attrs.evolve(base, outcome="failed", step=failed.step, error=failed.error)
    except Exception as exc:  # anything else in one item is that item's failure only
        return attrs.evolve(base, outcome="failed", step="unexpected", error=exc)


def _as_rule(at: dt.datetime | When) -> When:
    if isinstance(at, dt.datetime):
        fixed = at
        return lambda _tz, _now: fixed
    return at


async def _step_async(step: str, awaitable: Any) -> Any:
    try:
        return await awaitable
    except Exception as exc:
        raise StepFailed(step, exc) from exc
