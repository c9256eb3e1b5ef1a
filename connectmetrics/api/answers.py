"""One page of a GetCurrentMetricData answer from the cache: the path both endpoints share.

The seed's envelope endpoint (connectmetrics.api.views) and the drop-in Connect
endpoint (connectmetrics.awsapi) take the same canonical request and get their
rows here, from the same cache, single-flight and governor (cache.py), paged
with the same NextTokens (pagination.py); each only writes the page its way.

A kept snapshot never changes, so neither does a page of it: the rows of a page
(picked, sorted, cut to the asked metrics by derive.py) and each endpoint's
rendering of them are remembered in the process, and a cached answer asked
again costs the lookups that say which snapshot answers it, not the work.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from connectmetrics.api import cache, pagination
from connectmetrics.api.derive import derive
from connectmetrics.api.envelope import ApiError, ErrorCode
from connectmetrics.api.store import Snapshot
from connectmetrics.client.client import MetricRow
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import MAX_RESULTS
from connectmetrics.models import ConnectInstance

# Pages (and renderings) remembered per process: a few per request a caller repeats.
_REMEMBERED = 512


@dataclass(frozen=True)
class Page:
    rows: list[MetricRow]
    next_token: str | None
    snapshot: Snapshot
    total: int  # rows over every page
    # What the page is of: the same key, the same rows and the same rendering.
    key: Hashable


class _Remembered:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > _REMEMBERED:
                self._items.popitem(last=False)


_pages = _Remembered()
_renderings = _Remembered()


def answer_page(
    instance: ConnectInstance,
    canonical: dict[str, Any],
    *,
    next_token: str | None,
    max_results: int | None,
    metric_order: list[str],
    idle_queues: bool = True,
    token_scope: str = "",
) -> Page:
    """The page of `canonical` that `next_token` points at (the first without one).

    `idle_queues` False leaves out the rows of zeros filled in for queues Amazon
    Connect left out, as AWS answers. `token_scope` keeps one endpoint's
    NextTokens from paging the other's rows.
    """
    request_key = rules.request_key(canonical)
    token_key = f"{token_scope}:{request_key}" if token_scope else request_key
    snapshot: Snapshot | None
    if next_token:
        position = pagination.read(next_token, instance_pk=instance.pk, request_key=token_key)
        snapshot = cache.snapshot(position.snapshot_id)
        offset = position.offset
    else:
        snapshot = cache.answer(instance, canonical)
        offset = 0
    if snapshot is None:
        raise walk_lost()
    size = max_results or MAX_RESULTS
    key = (snapshot.id, token_key, tuple(metric_order), offset, size, idle_queues)
    kept: tuple[list[MetricRow], int] | None = _pages.get(key)
    if kept is None:
        rows = derive(
            canonical,
            snapshot.canonical,
            snapshot.metrics,
            snapshot.rows,
            metric_order=metric_order,
        )
        if rows is None:
            raise walk_lost()
        if not idle_queues:
            rows = [row for row in rows if not row.filled]
        kept = (rows[offset : offset + size], len(rows))
        _pages.put(key, kept)
    rows, total = kept
    following = None
    if offset + size < total:
        following = pagination.issue(
            instance_pk=instance.pk,
            request_key=token_key,
            snapshot_id=snapshot.id,
            offset=offset + size,
        )
        cache.pin(snapshot)
    return Page(rows, following, snapshot, total, key)


def walk_lost() -> ApiError:
    # Only a walk can get here: its snapshot outlived the pin (Redis evicted it).
    return ApiError(
        ErrorCode.VALIDATION_ERROR,
        "NextToken: the snapshot it pages through is no longer kept; start again without it.",
    )


def rendered(page: Page, render: Callable[[Page], bytes]) -> bytes:
    """`render(page)` (which must not depend on the page's NextToken), remembered."""
    key = (page.key, render)
    text: bytes | None = _renderings.get(key)
    if text is None:
        text = render(page)
        _renderings.put(key, text)
    return text
