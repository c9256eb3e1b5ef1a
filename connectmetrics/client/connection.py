"""One call to Connect that tells an admin, in words, whether polling can work."""

from dataclasses import dataclass

from django.utils import timezone

from connectmetrics.client.client import client_for
from connectmetrics.client.outcomes import UpstreamError, classify
from connectmetrics.models import ConnectInstance


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def check_connection(instance: ConnectInstance) -> ConnectionCheck:
    """GetCurrentMetricData for one known queue, or ListQueues when none is known yet."""
    queue = instance.queues.first()
    try:
        client = client_for(instance)
        if queue is not None:
            answer = client.get_current_metric_data(
                InstanceId=instance.instance_id,
                Filters={"Queues": [queue.queue_id]},
                CurrentMetrics=[{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}],
            )
            detail = (
                f"GetCurrentMetricData answered for queue {queue.name!r} "
                f"(data from {answer.get('DataSnapshotTime'):%H:%M:%S} UTC)."
            )
        else:
            client.list_queues(InstanceId=instance.instance_id, MaxResults=1)
            detail = "ListQueues answered; discover the queues next to build queue filters."
    except Exception as exc:
        error: UpstreamError = classify(exc)
        instance.last_error_at = timezone.now()
        instance.last_error_class = error.error_class
        instance.last_error_message = error.message
        instance.save(update_fields=["last_error_at", "last_error_class", "last_error_message"])
        return ConnectionCheck(False, f"{instance.name}: {error.description}.")
    return ConnectionCheck(True, f"{instance.name}: connected to {instance.region}. {detail}")
