"""Turn a queue filter's choices into a GetCurrentMetricData request.

Both the admin form (before anything is saved) and the poller (from a saved
queue filter) build the request here, so what the admin validated is exactly
what is sent.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from connectmetrics.connectapi.catalogue import METRICS


def build_request(
    *,
    queue_ids: Iterable[str],
    routing_profile_ids: Iterable[str],
    channels: Sequence[str],
    groupings: Sequence[str],
    metrics: Sequence[str],
    sort_metric: str = "",
    sort_order: str = "",
) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    queues = sorted(set(queue_ids))
    profiles = sorted(set(routing_profile_ids))
    if queues:
        filters["Queues"] = queues
    if profiles:
        filters["RoutingProfiles"] = profiles
    if channels:
        filters["Channels"] = sorted(set(channels))
    request: dict[str, Any] = {
        "Filters": filters,
        "CurrentMetrics": [
            {"Name": name, "Unit": METRICS[name].unit.value if name in METRICS else ""}
            for name in metrics
        ],
    }
    if groupings:
        request["Groupings"] = list(groupings)
    if sort_metric:
        request["SortCriteria"] = [
            {"SortByMetric": sort_metric, "SortOrder": sort_order or "DESCENDING"}
        ]
    return request
