"""The queue filter as a kind of source: what the poller asks of it, answered here.

A queue filter is a ConnectInstance's queues or routing profiles, channels,
groupings and metrics (connectmetrics/models/__init__.py `QueueFilter`); GetCurrentMetricData
answers it. Its messages are the `snapshot` and `update` of
connectmetrics/wire/socket_messages.py, built by connectmetrics/wire/message_builder.py, and
they reach the screens of its wallboards through connectmetrics/poller/screens.py.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import msgspec

from connectmetrics.api.cache import remember_poll
from connectmetrics.client.client import FetchResult, fetch_current_metrics
from connectmetrics.client.outcomes import Outcome, UpstreamError
from connectmetrics.client.quotas import GET_CURRENT_METRIC_DATA
from connectmetrics.connectapi import rules
from connectmetrics.models import ConnectInstance, Queue, QueueFilter, RoutingProfile
from connectmetrics.poller import poll_levels
from connectmetrics.sources import kind
from connectmetrics.sources.base import PolledModelKind, PolledModelSource
from connectmetrics.sources.trends import trend_bucket
from connectmetrics.wire import socket_messages
from connectmetrics.wire.message_builder import (
    Body,
    Named,
    Names,
    ThresholdRule,
    build_rows,
    failed_body,
    ok_body,
    snapshot,
    trend_points,
    update,
    waiting_snapshot,
)


def _names(instance: ConnectInstance) -> Names:
    queues = Queue.objects.filter(instance=instance).values_list("queue_id", "name", "arn")
    profiles = RoutingProfile.objects.filter(instance=instance).values_list(
        "routing_profile_id", "name", "arn"
    )
    return Names(
        queues={i: Named(name, arn) for i, name, arn in queues},
        routing_profiles={i: Named(name, arn) for i, name, arn in profiles},
    )


def _thresholds(queue_filter: QueueFilter) -> list[ThresholdRule]:
    return [
        ThresholdRule(t.metric, t.band, t.queue.queue_id if t.queue is not None else None)
        for t in queue_filter.thresholds.select_related("queue")
    ]


class QueueFilterSource(PolledModelSource[Body], body=Body):
    """One queue filter, loaded for one poll."""

    instance: ConnectInstance

    def __init__(self, queue_filter: QueueFilter) -> None:
        super().__init__(queue_filter, name=queue_filter.name, instance=queue_filter.instance)
        self.queue_filter = queue_filter

    def request(self) -> dict[str, Any]:
        return self.queue_filter.to_request()

    def check(self, request: Mapping[str, Any]) -> None:
        violations = rules.check_request({**request, "InstanceId": self.instance.instance_id})
        if violations:
            raise UpstreamError(
                Outcome.INVALID_REQUEST,
                violations[0].error,
                "; ".join(f"{v.field}: {v.message}" if v.field else v.message for v in violations),
            )

    def fetch(self, request: Mapping[str, Any]) -> FetchResult:
        expected = list(self.queue_filter.queues.values_list("queue_id", flat=True))
        return fetch_current_metrics(self.instance, dict(request), expected_queue_ids=expected)

    def learn(
        self, request: Mapping[str, Any], fetched: kind.Fetched, fetched_at: datetime
    ) -> None:
        # Other tools asking the metrics endpoint for the same numbers get them from here.
        canonical = rules.canonical_request(dict(request))
        remember_poll(self.instance, canonical, cast(FetchResult, fetched), fetched_at)

    def reading(self, fetched: kind.Fetched, fetched_at: datetime) -> kind.Reading:
        result = cast(FetchResult, fetched)
        queue_filter = self.queue_filter
        metrics = result.metrics or list(queue_filter.metrics)
        rows = build_rows(
            result.rows,
            queue_filter.groupings,
            metrics,
            _names(self.instance),
            _thresholds(queue_filter),
        )
        body = ok_body(
            rows=rows,
            metrics=metrics,
            groupings=queue_filter.groupings,
            data_snapshot_time=result.data_snapshot_time,
            fetched_at=fetched_at,
            poll_interval=self.instance.poll_interval,
        )
        # Alerts watch the same levels the screens show (connectmetrics/poller/poll_levels.py).
        poll_levels.report(self.key.id, msgspec.to_builtins(rows), fetched_at)
        bucket = trend_bucket(result.data_snapshot_time or fetched_at)
        return kind.Reading(body, bucket, trend_points(rows, bucket))

    def failed_body(self, last_good: kind.Body | None, reason: str) -> Body:
        return failed_body(
            cast(Body | None, last_good),
            reason=reason,
            metrics=self.queue_filter.metrics,
            groupings=self.queue_filter.groupings,
            poll_interval=self.instance.poll_interval,
        )

    def snapshot_text(
        self, *, seq: int, body: kind.Body, published_at: datetime, build: str, trends: kind.Trends
    ) -> str:
        return socket_messages.encode(
            snapshot(
                queue_filter_id=self.key.id,
                seq=seq,
                body=cast(Body, body),
                published_at=published_at,
                build=build,
                trends=trends,
            )
        )

    def update_text(
        self,
        base_text: str,
        *,
        seq: int,
        body: kind.Body,
        published_at: datetime,
        build: str,
        bucket: int | None,
    ) -> str:
        return socket_messages.encode(
            update(
                socket_messages.decode_snapshot(base_text),
                seq=seq,
                body=cast(Body, body),
                published_at=published_at,
                build=build,
                bucket=bucket,
            )
        )


class QueueFilterKind(PolledModelKind[QueueFilterSource]):
    api = GET_CURRENT_METRIC_DATA

    def __init__(self) -> None:
        super().__init__(QueueFilter, QueueFilterSource)

    def waiting_text(self, source_id: int, published_at: datetime, build: str) -> str:
        return socket_messages.encode(
            waiting_snapshot(source_id, published_at=published_at, build=build)
        )


QUEUE_FILTERS = QueueFilterKind()
