"""Fill an instance's queue and routing-profile catalogues from Connect."""

from dataclasses import dataclass

from django.db import transaction

from connectmetrics.client.client import list_queues, list_routing_profiles
from connectmetrics.models import ConnectInstance, Queue, RoutingProfile


@dataclass(frozen=True)
class Discovery:
    queues: int
    new_queues: int
    routing_profiles: int
    new_routing_profiles: int
    gone: int

    def describe(self) -> str:
        text = (
            f"Found {self.queues} queues ({self.new_queues} new) and "
            f"{self.routing_profiles} routing profiles ({self.new_routing_profiles} new)."
        )
        if self.gone:
            # Kept, not deleted: queue filters and thresholds may still use them.
            text += f" {self.gone} known entries are no longer in Connect and were kept."
        return text


def discover(instance: ConnectInstance) -> Discovery:
    """ListQueues and ListRoutingProfiles, every page; upsert by ID. Raises UpstreamError."""
    queues = list_queues(instance)
    profiles = list_routing_profiles(instance)
    new_queues = new_profiles = 0
    with transaction.atomic():
        for q in queues:
            _, created = Queue.objects.update_or_create(
                instance=instance,
                queue_id=q.id,
                defaults={"arn": q.arn, "name": q.name, "queue_type": q.queue_type or "STANDARD"},
            )
            new_queues += created
        for p in profiles:
            _, created = RoutingProfile.objects.update_or_create(
                instance=instance,
                routing_profile_id=p.id,
                defaults={"arn": p.arn, "name": p.name},
            )
            new_profiles += created
    gone = (
        Queue.objects.filter(instance=instance).exclude(queue_id__in=[q.id for q in queues]).count()
        + RoutingProfile.objects.filter(instance=instance)
        .exclude(routing_profile_id__in=[p.id for p in profiles])
        .count()
    )
    return Discovery(len(queues), new_queues, len(profiles), new_profiles, gone)
