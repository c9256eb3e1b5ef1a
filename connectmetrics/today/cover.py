"""Which GetMetricDataV2 requests a today source's poll answers, and the answer.

The endpoints (connectmetrics/api/records.py) ask this before they spend quota. A
today source keeps each request of its poll with every page of its MetricResults
(`kept`, called by kind.py `learn` while tools ask for GetMetricDataV2 on the
instance). A request is answered from the fresh poll of an enabled today source of
the instance when one request of that poll holds every row and value it asks for,
which both requests tell alone (each read by the simulated centre's rules,
connectmetrics/simulator/metric_data_request.py `parse`):

- the same interval period (the poll's are TOTAL and FIFTEEN_MIN), time zone and
  StartTime (the centre's local midnight);
- an EndTime from the poll's EndTime on (never after now: the rules refuse that),
  with the same intervals (for FIFTEEN_MIN, no quarter hour begun after the poll's
  EndTime). The answer is the poll's, as of its own EndTime, which its
  MetricInterval says: at most the instance's poll interval old, as any answer
  kept for a request is, while Connect's own figures arrive about a minute after
  a contact ends. A request ending before the poll's EndTime is fetched: the poll
  may count contacts after the end it asks for;
- the same groupings, with the source's row grouping (QUEUE, or ROUTING_PROFILE
  for a routing-profile source) among them, so that each row is one queue's or
  one routing profile's: a routing-profile source covers only requests grouped
  by ROUTING_PROFILE, a queue source only those grouped by QUEUE, and the
  requests of a poll without a grouping (a routing-profile source's total)
  cover none;
- filter values of that key among the poll's (the rows of those queues or
  routing profiles are picked), and every other filter (CHANNEL) the same as
  the poll's;
- metrics among the poll's, each with the same threshold and comparison (each
  row's Collections are picked, in the order asked; a row lacking one is not
  answered from the poll).

A poll answers until the source's next poll (its own interval, at least a minute:
records.source_poll), as GetMetricDataV2's own figures arrive about a minute late.

Anything else is not covered and is fetched.
"""

from collections.abc import Iterable
from typing import Any

from connectmetrics.api.records import Asked, Covered, source_poll
from connectmetrics.api.wire import wire
from connectmetrics.models import ConnectInstance
from connectmetrics.simulator.errors import ApiError
from connectmetrics.simulator.intervals import intervals
from connectmetrics.simulator.metric_data_request import MetricDataRequest, parse
from connectmetrics.today.fetch import Answered
from connectmetrics.today.models import TodaySource
from connectmetrics.today.rules import GROUPINGS

# A metric as a request names it: name, comparison and threshold (None for none).
MetricKey = tuple[str, str | None, float | None]


def kept(answered: Iterable[Answered]) -> list[dict[str, Any]]:
    """A poll's requests and answers as the source keeps them (`keep_source_poll`)."""
    return [
        {"Request": answer.body, "MetricResults": [wire(result) for result in answer.results]}
        for answer in answered
    ]


def _starts(request: MetricDataRequest) -> list[float]:
    return [
        start for start, _ in intervals(request.period, request.zone, request.start, request.end)
    ]


def _asked_metrics(request: MetricDataRequest) -> list[MetricKey]:
    return [(m.name, m.comparison, m.threshold) for m in request.metrics]


def picked_by(request: MetricDataRequest) -> str | None:
    """The filter key (and grouping) whose values pick a poll's rows: QUEUE or
    ROUTING_PROFILE, whichever it is grouped by; None for none."""
    return next((key for key in GROUPINGS if key in request.groupings), None)


def covers(poll: MetricDataRequest, asked: MetricDataRequest) -> bool:
    """Whether the poll's request holds every row and value `asked` asks for."""
    if (poll.period, poll.zone.key, poll.start) != (asked.period, asked.zone.key, asked.start):
        return False
    if asked.end < poll.end or _starts(asked) != _starts(poll):
        return False
    key_picked = picked_by(poll)
    if asked.groupings != poll.groupings or key_picked is None:
        return False
    for key in set(poll.filters) | set(asked.filters):
        mine, theirs = poll.filters.get(key), asked.filters.get(key)
        if key == key_picked:
            if mine is None or theirs is None or not theirs <= mine:
                return False
        elif mine != theirs:
            return False
    return set(_asked_metrics(asked)) <= set(_asked_metrics(poll))


def _metric_key(metric: dict[str, Any]) -> MetricKey:
    thresholds = metric.get("Threshold") or []
    if not thresholds:
        return (str(metric.get("Name")), None, None)
    threshold = thresholds[0]
    return (str(metric.get("Name")), threshold["Comparison"], float(threshold["ThresholdValue"]))


def _picked(results: list[dict[str, Any]], asked: MetricDataRequest) -> list[dict[str, Any]] | None:
    """The asked rows (queues or routing profiles) with the asked metrics, or None when
    a row lacks one."""
    key = picked_by(asked)
    assert key is not None  # `covers` said so
    picked = asked.filters[key]
    metrics = _asked_metrics(asked)
    out = []
    for result in results:
        if (result.get("Dimensions") or {}).get(key) not in picked:
            continue
        by_metric = {_metric_key(c.get("Metric") or {}): c for c in result.get("Collections", [])}
        if not all(metric in by_metric for metric in metrics):
            return None
        out.append({**result, "Collections": [by_metric[metric] for metric in metrics]})
    return out


def answer(records: list[dict[str, Any]], asked: MetricDataRequest) -> list[dict[str, Any]] | None:
    """The asked rows of a kept poll (as `kept` writes it) from its request that covers
    `asked`, or None."""
    for request in records:
        try:
            # Read as at the asked EndTime: a poll ending after it is refused, and not covering.
            poll = parse(request["Request"], asked.end)
        except ApiError:
            continue
        if covers(poll, asked):
            return _picked(request["MetricResults"], asked)
    return None


def cover(instance: ConnectInstance, asked: Asked) -> Covered | None:
    """The records of a fresh poll covering the request (the newest), or None."""
    request: MetricDataRequest = asked.parsed
    best: Covered | None = None
    for source in TodaySource.objects.filter(instance=instance, enabled=True):
        snapshot = source_poll(instance, source.source_key, source.poll_interval)
        if snapshot is None or (best is not None and snapshot.fetched_at <= best.fetched_at):
            continue
        rows = answer(snapshot.records, request)
        if rows is not None:
            best = Covered(rows, snapshot.fetched_at)
    return best
