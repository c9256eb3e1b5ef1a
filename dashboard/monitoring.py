"""What /metrics reports, in Prometheus families.

Two kinds of figures:

- The poller's, shared by every process (connectmetrics.client.telemetry): polls,
  failed polls by outcome, upstream calls by operation and throttles, per
  Connect instance (and queue filter for polls), plus the age of each queue
  filter's last good poll. Every web process reports the same values, so sum
  them over one web process only (or take max() across them).
- This web process's own (dashboard.fanout_metrics): open wallboard sockets
  and fan-out latency. Scrape every web process for these.

Labels carry names an admin recognises: `connect_instance` (the instance's name
in the admin; not `instance`, which Prometheus uses for the scraped target)
and `queue_filter`. Figures of instances or filters since deleted are left out.
"""

from collections import defaultdict
from datetime import datetime

from django.utils import timezone

from connectmetrics.client import telemetry
from connectmetrics.client.outcomes import Outcome
from connectmetrics.client.telemetry import What
from connectmetrics.models import ConnectInstance, QueueFilter
from dashboard import fanout_metrics
from dashboard.prometheus import Family, Sample, histogram_samples

PREFIX = "connect_wallboard_"


def poller_families(now: datetime | None = None) -> list[Family]:
    """The poller's counters for every configured instance and queue filter."""
    moment = now or timezone.now()
    instances = dict(ConnectInstance.objects.values_list("pk", "name"))
    filters = {
        f.pk: f for f in QueueFilter.objects.select_related("instance").order_by("instance", "name")
    }
    sources = {f.source_key: pk for pk, f in filters.items()}
    polls: dict[tuple[int, str], int] = defaultdict(int)
    errors: dict[tuple[int, str], int] = defaultdict(int)
    calls: dict[tuple[int, str], int] = defaultdict(int)
    throttles: dict[int, int] = defaultdict(int)
    for count in telemetry.totals():
        if count.instance_id not in instances:
            continue
        if count.what is What.POLLS and count.source in sources:
            polls[sources[count.source], count.detail] += count.value
        elif count.what is What.POLL_ERRORS:
            errors[count.instance_id, count.detail] += count.value
        elif count.what is What.UPSTREAM_CALLS:
            calls[count.instance_id, count.detail] += count.value
        elif count.what is What.THROTTLES:
            throttles[count.instance_id] += count.value

    def filter_labels(queue_filter: QueueFilter) -> dict[str, str]:
        return {"connect_instance": queue_filter.instance.name, "queue_filter": queue_filter.name}

    # Every instance and filter gets its series from the start (zero until something
    # happens), so an alert on increase() sees the first failure, not a new series.
    return [
        Family(
            PREFIX + "polls_total",
            "counter",
            "Polls of a queue filter that reached Amazon Connect, by result (ok or failed).",
            [
                Sample(polls[f.pk, result], {**filter_labels(f), "result": result})
                for f in filters.values()
                for result in ("ok", "failed")
            ],
        ),
        Family(
            PREFIX + "poll_errors_total",
            "counter",
            "Failed polls by outcome: throttled, not_found, access_denied, "
            "invalid_request, unavailable.",
            [
                Sample(errors[pk, outcome.value], {"connect_instance": name, "outcome": outcome})
                for pk, name in instances.items()
                for outcome in Outcome
            ],
        ),
        Family(
            PREFIX + "upstream_calls_total",
            "counter",
            "HTTP requests to Amazon Connect, botocore's retries included, by operation.",
            [
                Sample(value, {"connect_instance": instances[pk], "operation": operation})
                for (pk, operation), value in sorted(calls.items())
            ],
        ),
        Family(
            PREFIX + "upstream_throttles_total",
            "counter",
            "Requests to Amazon Connect answered with throttling.",
            [Sample(throttles[pk], {"connect_instance": name}) for pk, name in instances.items()],
        ),
        Family(
            PREFIX + "last_good_poll_age_seconds",
            "gauge",
            "Seconds since the last good poll of each enabled queue filter polled at least once.",
            [
                Sample(round((moment - f.last_success_at).total_seconds(), 3), filter_labels(f))
                for f in filters.values()
                if f.enabled and f.instance.enabled and f.last_success_at is not None
            ],
        ),
    ]


def process_families(sockets: int, tasks: int) -> list[Family]:
    """This web process's fan-out; `sockets` and `tasks` read on its event loop."""
    latency = fanout_metrics.fanout_latency.state()
    return [
        Family(
            PREFIX + "open_sockets",
            "gauge",
            "Wallboard sockets open in this web process.",
            [Sample(sockets)],
        ),
        Family(
            PREFIX + "event_loop_tasks",
            "gauge",
            "Asyncio tasks alive on this web process's event loop.",
            [Sample(tasks)],
        ),
        Family(
            PREFIX + "fanout_latency_seconds",
            "histogram",
            "From a poll's published_at to its update handed to every socket of this "
            "process that shows it.",
            histogram_samples(latency.cumulative, latency.total, latency.count),
        ),
    ]
