"""A today source: some queues of an instance, each with its service-level threshold
and target, or some of its routing profiles (at the instance's threshold and
target), asked for since the centre's local midnight; and the metrics it shows."""

import math

from django.core.exceptions import ValidationError
from django.db import models

from connectmetrics.connectapi.catalogue import Channel
from connectmetrics.models import (
    ConnectInstance,
    Queue,
    RoutingProfile,
    service_level_target_field,
    service_level_threshold_field,
)
from connectmetrics.sources.polled import PolledSource
from connectmetrics.today import rules
from connectmetrics.today.rules import Plan, RowAsked
from dashboard.lib import clock

# GetMetricDataV2's numbers arrive about a minute after a contact ends: polling a
# today source more often than this (seconds of data time) shows nothing new and
# spends the quota.
MIN_POLL_SECONDS = 60


def least_poll_interval() -> int:
    """The shortest poll interval of a today source, in real seconds: a minute of data
    time (a minute at speed 1; at an endurance run's 600x, one second, so the day rolls
    over on screen within seconds of the centre's midnight)."""
    return max(1, math.ceil(MIN_POLL_SECONDS / clock.speed()))


def channel_choices() -> list[tuple[str, str]]:
    return [(channel.value, channel.value) for channel in Channel]


def metric_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in rules.WALL_METRICS]


def default_metrics() -> list[str]:
    return list(rules.DEFAULT_METRICS)


GROUPING_CHOICES = [(rules.QUEUE, "Queue"), (rules.ROUTING_PROFILE, "Routing profile")]


class TodaySource(PolledSource):
    """GetMetricDataV2 since the centre's midnight, per queue, kept live by the poller."""

    name = models.CharField(max_length=100)
    instance = models.ForeignKey(
        ConnectInstance, on_delete=models.CASCADE, related_name="today_sources"
    )
    channels = models.JSONField(
        default=list, blank=True, help_text="Only contacts of these channels; none: every channel."
    )
    grouping = models.CharField(
        max_length=20,
        choices=GROUPING_CHOICES,
        default=rules.QUEUE,
        help_text="Each row a queue (choose queues) or a routing profile (choose routing "
        "profiles).",
    )
    routing_profiles = models.ManyToManyField(
        RoutingProfile,
        blank=True,
        related_name="today_sources",
        help_text="With grouping by routing profile: at the instance's threshold and target.",
    )
    metrics = models.JSONField(
        default=default_metrics,
        help_text="The metrics asked and shown, in order.",
    )

    SOURCE_KIND = "today_source"

    class Meta:
        ordering = ["instance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "name"], name="unique_today_source_name")
        ]

    def __str__(self) -> str:
        return f"{self.instance} / {self.name}"

    @property
    def poll_interval(self) -> int:
        """The instance's poll interval, but never under a minute of data time."""
        return max(self.instance.poll_interval, least_poll_interval())

    def clean(self) -> None:
        unknown = [c for c in self.channels or [] if c not in Channel.__members__]
        if unknown:
            raise ValidationError(
                {"channels": f"Channels are {', '.join(Channel)}; got {', '.join(unknown)}."}
            )
        metrics = self.metrics if isinstance(self.metrics, list) else []
        wrong = [m for m in metrics if m not in rules.WALL_METRICS]
        if not metrics or wrong or len(set(metrics)) != len(metrics):
            raise ValidationError(
                {
                    "metrics": f"One or more of {', '.join(rules.WALL_METRICS)}, each once; "
                    f"got {', '.join(map(str, metrics)) or 'none'}."
                }
            )

    def chosen_queues(self) -> list["TodayQueue"]:
        return list(self.queues.select_related("queue").order_by("queue__name", "pk"))

    def chosen_routing_profiles(self) -> list[RoutingProfile]:
        return list(self.routing_profiles.order_by("name", "pk"))

    def rows_asked(self) -> tuple[RowAsked, ...]:
        """Its queues, each at its threshold; or its routing profiles, at the instance's."""
        instance = self.instance
        if self.grouping == rules.ROUTING_PROFILE:
            return tuple(
                RowAsked(p.routing_profile_id, instance.service_level_threshold)
                for p in self.chosen_routing_profiles()
            )
        return tuple(
            RowAsked(q.queue.queue_id, q.threshold_or(instance)) for q in self.chosen_queues()
        )

    def plan(self) -> Plan:
        instance = self.instance
        return Plan(
            resource_arn=instance.resource_arn(),
            time_zone=instance.time_zone,
            channels=tuple(self.channels or []),
            rows=self.rows_asked(),
            grouping=self.grouping,
            metrics=tuple(self.metrics or ()),
        )


class TodayQueue(models.Model):
    """One queue of a today source, with its own threshold and target (default: the
    instance's)."""

    source = models.ForeignKey(TodaySource, on_delete=models.CASCADE, related_name="queues")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="today_queues")
    service_level_threshold = service_level_threshold_field(
        null=True, blank=True, help_text="Empty: the instance's."
    )
    service_level_target = service_level_target_field(
        null=True, blank=True, help_text="Empty: the instance's."
    )

    class Meta:
        ordering = ["source", "queue__name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "queue"], name="unique_today_queue")
        ]

    def __str__(self) -> str:
        return str(self.queue)

    def clean(self) -> None:
        if (
            self.queue_id is not None
            and self.source_id is not None
            and self.queue.instance_id != self.source.instance_id
        ):
            raise ValidationError({"queue": "Choose a queue of the source's instance."})

    def threshold_or(self, instance: ConnectInstance) -> int:
        return self.service_level_threshold or instance.service_level_threshold

    def target_or(self, instance: ConnectInstance) -> int:
        return self.service_level_target or instance.service_level_target
