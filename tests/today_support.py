"""Builders for the today tests: a simulated centre whose local time is in its working
day (so today's figures and trend have contacts), and today sources over it."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance
from connectmetrics.today.models import TodayQueue, TodaySource

# Zones a whole number of hours apart: one of them is always between 09:00 and 17:00.
ZONES = [
    "Pacific/Auckland",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Europe/Paris",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
]


def working_zone(now: datetime | None = None) -> str:
    """A time zone whose local time is in the afternoon or the working day now."""
    moment = now or datetime.now(UTC)
    for name in ZONES:
        if 9 <= moment.astimezone(ZoneInfo(name)).hour < 17:
            return name
    raise AssertionError("no zone of ZONES is in its working day")  # 8 zones cover 24 h


def today_centre(*, time_zone: str | None = None) -> ConnectInstance:
    instance = ConnectInstance.objects.create(
        name="Today centre",
        region="eu-west-2",
        instance_id=SIMULATED_INSTANCE_ID,
        access_mode=AccessMode.SIMULATED,
        simulator_seed=7,
        simulator_queues=20,
        simulator_agents=120,
        poll_interval=5,
        time_zone=time_zone or working_zone(),
        service_level_threshold=30,
        service_level_target=80,
    )
    discover(instance)
    return instance


def today_source(
    instance: ConnectInstance,
    *,
    name: str = "Today",
    thresholds: dict[str, int | None] | None = None,
    count: int | None = None,
) -> TodaySource:
    """A today source over the instance's standard queues (the first `count`), with
    thresholds by queue name (None or absent: the instance's)."""
    source = TodaySource.objects.create(name=name, instance=instance)
    queues = instance.queues.filter(queue_type="STANDARD").order_by("name")
    for queue in queues[:count] if count is not None else queues:
        TodayQueue.objects.create(
            source=source,
            queue=queue,
            service_level_threshold=(thresholds or {}).get(queue.name),
        )
    return source
