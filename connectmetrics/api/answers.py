"""One page of a GetCurrentMetricData answer from the cache: the path both endpoints share.

The seed's envelope endpoint (connectmetrics.api.views) and the drop-in Connect
endpoint (connectmetrics.awsapi) take the same canonical request and get their
rows here, from the same cache, single-flight and governor (cache.py), paged
with the same NextTokens (pagination.py); each only writes the page its way.
"""

from dataclasses import dataclass
from typing import Any

from connectmetrics import rules
from connectmetrics.api import cache, pagination
from connectmetrics.api.derive import derive
from connectmetrics.api.envelope import ApiError, ErrorCode
from connectmetrics.api.store import Snapshot
from connectmetrics.catalogue import MAX_RESULTS
from connectmetrics.client import MetricRow
from connectmetrics.models import ConnectInstance


@dataclass(frozen=True)
class Page:
    rows: list[MetricRow]
    next_token: str | None
    snapshot: Snapshot
    total: int  # rows over every page


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
    if next_token:
        position = pagination.read(next_token, instance_pk=instance.pk, request_key=token_key)
        snapshot = cache.snapshot(position.snapshot_id)
        offset = position.offset
    else:
        snapshot = cache.answer(instance, canonical)
        offset = 0
    rows = None
    if snapshot is not None:
        rows = derive(
            canonical,
            snapshot.canonical,
            snapshot.metrics,
            snapshot.rows,
            metric_order=metric_order,
        )
    if snapshot is None or rows is None:
        # Only a walk can get here: its snapshot outlived the pin (Redis evicted it).
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            "NextToken: the snapshot it pages through is no longer kept; start again without it.",
        )
    if not idle_queues:
        rows = [row for row in rows if not row.filled]
    end = offset + (max_results or MAX_RESULTS)
    following = None
    if end < len(rows):
        following = pagination.issue(
            instance_pk=instance.pk, request_key=token_key, snapshot_id=snapshot.id, offset=end
        )
        cache.pin(snapshot)
    return Page(rows[offset:end], following, snapshot, len(rows))
