"""Answer a request exactly from a snapshot kept for another (or the same) request.

A kept snapshot answers a request when every row of the request's own answer
is a row of the snapshot, with the same numbers:

- the same Groupings, in the same order (totals of other groupings cannot be
  added up exactly: an agent in two queues is online in both);
- every asked metric among the snapshot's metrics (a metric's value does not
  depend on which other metrics were asked);
- every filter the same, except that the Queues, RoutingProfiles or Channels
  asked may be a subset of the snapshot's when the answer is grouped by that
  dimension: each row then belongs to one queue (profile, channel), and its
  numbers do not depend on which others were asked;
- the asked sort on a metric the snapshot has, or the snapshot's own sort.

Rows are then picked, cut down to the asked metrics and sorted as asked.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from connectmetrics.client.client import MetricRow
from connectmetrics.connectapi.catalogue import Grouping, SortOrder

Canonical = Mapping[str, Any]

# Filter -> the grouping that gives each row one value of it, and where the row has it.
_ROW_FILTERS: dict[str, tuple[str, str]] = {
    "Queues": (Grouping.QUEUE, "Queue"),
    "RoutingProfiles": (Grouping.ROUTING_PROFILE, "RoutingProfile"),
    "Channels": (Grouping.CHANNEL, "Channel"),
}


def metric_names(canonical: Canonical) -> list[str]:
    return [metric["Name"] for metric in canonical["CurrentMetrics"]]


def sort_of(canonical: Canonical) -> tuple[str, str]:
    criterion = canonical["SortCriteria"][0]
    return criterion["SortByMetric"], criterion["SortOrder"]


def _dimension_value(row: MetricRow, field: str) -> str | None:
    value = row.dimensions.get(field)
    if isinstance(value, Mapping):
        value = value.get("Id")
    return value if isinstance(value, str) else None


def _row_selection(asked: Canonical, kept: Canonical) -> list[tuple[str, frozenset[str]]] | None:
    """(dimension field, allowed values) per narrowed filter; None when not derivable."""
    asked_filters, kept_filters = asked["Filters"], kept["Filters"]
    selection: list[tuple[str, frozenset[str]]] = []
    for key in set(asked_filters) | set(kept_filters):
        wanted, have = asked_filters.get(key, []), kept_filters.get(key, [])
        if wanted == have:
            continue
        narrowable = _ROW_FILTERS.get(key)
        if (
            narrowable is None
            or narrowable[0] not in asked["Groupings"]
            or not wanted
            or not set(wanted) <= set(have)
        ):
            return None
        selection.append((narrowable[1], frozenset(wanted)))
    return selection


def derivable(asked: Canonical, kept: Canonical, kept_metrics: Collection[str]) -> bool:
    """Whether a snapshot of `kept` (carrying `kept_metrics`) answers `asked` exactly."""
    if asked["Groupings"] != kept["Groupings"]:
        return False
    if not set(metric_names(asked)) <= set(kept_metrics):
        return False
    sort_metric, _ = sort_of(asked)
    if sort_metric not in kept_metrics and sort_of(asked) != sort_of(kept):
        return False
    return _row_selection(asked, kept) is not None


def _sort_key(metric: str, order: str) -> Callable[[MetricRow], tuple[bool, float, str]]:
    sign = -1.0 if order == SortOrder.DESCENDING else 1.0

    def key(row: MetricRow) -> tuple[bool, float, str]:
        value = row.values.get(metric)
        # Unknown values go last either way; equal values keep a stable order
        # (by row key) so that pages never repeat or skip a row.
        return (value is None, sign * (value or 0.0), row.key)

    return key


def derive(
    asked: Canonical,
    kept: Canonical,
    kept_metrics: Collection[str],
    rows: Sequence[MetricRow],
    *,
    metric_order: Sequence[str] = (),
) -> list[MetricRow] | None:
    """The rows answering `asked`, sorted, values in `metric_order`; None if not derivable.

    `metric_order` is the order the caller listed its metrics in (the
    canonical form sorts them); it defaults to the canonical order.
    """
    if not derivable(asked, kept, kept_metrics):
        return None
    selection = _row_selection(asked, kept) or []
    chosen = [
        row
        for row in rows
        if all(_dimension_value(row, field) in allowed for field, allowed in selection)
    ]
    sort_metric, order = sort_of(asked)
    if sort_metric in kept_metrics:
        chosen.sort(key=_sort_key(sort_metric, order))
    names = list(metric_order) or metric_names(asked)
    return [
        MetricRow(
            row.key, row.dimensions, {name: row.values.get(name) for name in names}, row.filled
        )
        for row in chosen
    ]
