"""The today source as a kind of source: what the poller asks of it, answered here.

Polled on the shared schedule at the instance's poll interval but never more
often than once a minute (models.MIN_POLL_SECONDS), within GetMetricDataV2's own
quota; its messages are `today_snapshot` and `today_update` (panel.py), published
by the poller to the screens of its panels. Its polls answer the GetMetricDataV2
endpoints' requests they cover (cover.py).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from connectmetrics.api.records import keep_while_wanted
from connectmetrics.client.outcomes import refuse
from connectmetrics.client.quotas import GET_METRIC_DATA_V2
from connectmetrics.models import ConnectInstance
from connectmetrics.sources import kind
from connectmetrics.sources.base import BuiltMessages, BuiltMessagesKind, PolledModelSource
from connectmetrics.sources.trends import trend_bucket
from connectmetrics.today import cover, panel, rules
from connectmetrics.today.fetch import TodayFetched, fetch_today
from connectmetrics.today.models import TodaySource, least_poll_interval
from connectmetrics.wire import socket_messages
from dashboard.lib import clock


class TodaySourceSource(
    PolledModelSource[panel.TodayBody],
    BuiltMessages,
    body=panel.TodayBody,
    messages=panel,
    snapshot=socket_messages.TodaySnapshot,
):
    """One today source, loaded for one poll."""

    instance: ConnectInstance

    def __init__(self, source: TodaySource) -> None:
        super().__init__(source, name=source.name, instance=source.instance)
        self.source = source
        self.poll_interval = source.poll_interval
        if source.grouping == rules.ROUTING_PROFILE:
            target = self.instance.service_level_target
            self.shown = {
                p.routing_profile_id: panel.RowShown(p.name, target)
                for p in source.chosen_routing_profiles()
            }
        else:
            self.shown = {
                q.queue.queue_id: panel.RowShown(q.queue.name, q.target_or(self.instance))
                for q in source.chosen_queues()
            }

    def request(self) -> dict[str, Any]:
        return self.source.plan().as_request()

    def check(self, request: Mapping[str, Any]) -> None:
        refuse(rules.check(rules.Plan.of(request), clock.moment()))

    def fetch(self, request: Mapping[str, Any]) -> TodayFetched:
        return fetch_today(self.instance, rules.Plan.of(request), clock.moment())

    def learn(
        self, request: Mapping[str, Any], fetched: kind.Fetched, fetched_at: datetime
    ) -> None:
        """Keep the poll's requests and answers for the endpoints (cover.py) while tools
        ask for GetMetricDataV2 on the instance.

        The cache only saves quota: when Redis refuses, the poll itself must not fail."""
        answered = cast(TodayFetched, fetched).answered
        keep_while_wanted(
            self.instance,
            GET_METRIC_DATA_V2,
            self.key,
            lambda: cover.kept(answered),
            fetched_at,
            self.poll_interval,
        )

    def reading(self, fetched: kind.Fetched, fetched_at: datetime) -> kind.Reading:
        body = panel.ok_body(
            cast(TodayFetched, fetched),
            self.shown,
            target=self.instance.service_level_target,
            time_zone=self.instance.time_zone,
            grouping=self.source.grouping,
            columns=list(self.source.metrics),
            fetched_at=fetched_at,
            poll_interval=self.poll_interval,
        )
        return kind.Reading(body, trend_bucket(fetched_at))

    def failed_body(self, last_good: kind.Body | None, reason: str) -> panel.TodayBody:
        return panel.failed_body(
            cast(panel.TodayBody | None, last_good),
            reason=reason,
            poll_interval=self.poll_interval,
            time_zone=self.instance.time_zone,
            grouping=self.source.grouping,
            columns=list(self.source.metrics),
        )


class TodaySourceKind(BuiltMessagesKind[TodaySourceSource]):
    api = GET_METRIC_DATA_V2

    def __init__(self) -> None:
        super().__init__(TodaySource, TodaySourceSource)

    def pollable(self) -> list[tuple[int, int]]:
        return [
            (source_id, max(interval, least_poll_interval()))
            for source_id, interval in super().pollable()
        ]


TODAY_SOURCES = TodaySourceKind()
