"""Builders for tests that poll the simulated contact centre."""

from collections.abc import Sequence

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter, Threshold
from connectmetrics.simulator import call_counts

GET_METRICS = "GetCurrentMetricData"


def simulated_instance(
    *, poll_interval: int = 5, name: str = "Simulated centre"
) -> ConnectInstance:
    """A simulated instance (seed 7, 20 queues) with its queues discovered through ListQueues."""
    instance = ConnectInstance.objects.create(
        name=name,
        region="eu-west-2",
        instance_id=SIMULATED_INSTANCE_ID,
        access_mode=AccessMode.SIMULATED,
        simulator_seed=7,
        simulator_queues=20,
        poll_interval=poll_interval,
    )
    discover(instance)
    return instance


def demo_filter(
    instance: ConnectInstance,
    *,
    name: str = "All queues",
    groupings: Sequence[str] = ("QUEUE",),
    metrics: Sequence[str] = (
        "AGENTS_ONLINE",
        "AGENTS_AVAILABLE",
        "CONTACTS_IN_QUEUE",
        "OLDEST_CONTACT_AGE",
    ),
) -> QueueFilter:
    """A queue filter over every queue of the instance on VOICE, CHAT and TASK, with a
    threshold on CONTACTS_IN_QUEUE (warning 1, critical 3) for every row."""
    queue_filter = QueueFilter.objects.create(
        name=name,
        instance=instance,
        channels=["VOICE", "CHAT", "TASK"],
        primary_grouping=groupings[0] if groupings else "",
        secondary_grouping=groupings[1] if len(groupings) > 1 else "",
        metrics=list(metrics),
    )
    queue_filter.queues.set(instance.queues.all())
    Threshold.objects.create(
        queue_filter=queue_filter, metric="CONTACTS_IN_QUEUE", warning=1, critical=3
    )
    return queue_filter


def upstream_calls(redis_url: str) -> int:
    """GetCurrentMetricData calls the simulated centre received (every process, every attempt)."""
    return call_counts(redis_url, SIMULATED_INSTANCE_ID).get(GET_METRICS, 0)
