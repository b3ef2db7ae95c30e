"""Running per-account work on a Client or an AccountPool, keeping every item's outcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from ccasync.errors import ValidationError
from ccasync.ops.campaigns._results import CampaignResult
from ccasync.pool import AccountPool

if TYPE_CHECKING:
    from ccasync.client import Client

T = TypeVar("T")
AccountWork = Callable[["Client", str, list[T]], Awaitable[list[CampaignResult]]]


def group_by_account(
    target: Client | AccountPool, items: Sequence[T], account_of: Callable[[T], str | None]
) -> tuple[dict[str, list[T]], list[tuple[T, Exception]]]:
    """Items grouped by account name (``""`` for a Client); items naming no valid account apart.

    With a pool of one account, items without an account go to it.
    """
    groups: dict[str, list[T]] = {}
    orphans: list[tuple[T, Exception]] = []
    only = target.names[0] if isinstance(target, AccountPool) and len(target.names) == 1 else None
    for item in items:
        name = account_of(item)
        if not isinstance(target, AccountPool):
            groups.setdefault("", []).append(item)
        elif name is None and only is None:
            orphans.append((item, ValidationError("account", "required with a pool of accounts")))
        elif (name or only) not in target.names:
            orphans.append((item, ValidationError("account", "not in the pool", value=name)))
        else:
            groups.setdefault(str(name or only), []).append(item)
    return groups, orphans


async def run_accounts(
    target: Client | AccountPool,
    groups: dict[str, list[T]],
    work: AccountWork[T],
    *,
    concurrency: int | None,
    on_account_error: Callable[[str, list[T], Exception], list[CampaignResult]],
) -> list[CampaignResult]:
    """Run ``work(client, account, items)`` per account; an account that raised gets its items
    failed by ``on_account_error`` (the others go on), on a single Client as in a pool.

    Cancellation propagates; any other exception is the account's failure.
    """
    if not isinstance(target, AccountPool):
        results: list[CampaignResult] = []
        for name, items in groups.items():
            try:
                results += await work(target, name, items)
            except Exception as exc:
                results += on_account_error(name, items, exc)
        return results

    async def one(cc: Client, name: str) -> list[CampaignResult]:
        return await work(cc, name, groups[name])

    outcomes = await target.map(one, list(groups), concurrency=concurrency)
    results = []
    for name, outcome in outcomes.items():
        if outcome.error is not None:
            results += on_account_error(name, groups[name], outcome.error)
        else:
            results += outcome.value or []
    return results
