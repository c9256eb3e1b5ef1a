"""What one call to the simulated contact centre costs (docs/performance.md).

    .venv/bin/python -m bench.simulator_calls [--calls 200] [--only current]

Through a real boto3 client (botocore's serializer and parser included), with
the centre's clock moving one second per call as a poller's would:

- GetCurrentMetricData for 20 queues grouped by queue and channel, every metric,
  with the default 60 agents, the demo's 300 and 5,000;
- GetCurrentUserData, one page of 100 agents, with 300 and 5,000 agents;
- GetMetricDataV2 since midnight with interval TOTAL (one row per queue) and
  FIFTEEN_MIN (every page), 20 queues, the wall's metrics, at 15:30.

Prints the median and 95th percentile per call in milliseconds, and for the
real-time calls the part of it the centre's own answer takes (the rest is
botocore's). ``--only
current`` measures GetCurrentMetricData alone, so that the same script run
against an older checkout gives the before figure.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectmetrics.connectapi.catalogue import METRICS, SIMULATED_INSTANCE_ID
from connectmetrics.simulator import SimulatedCentre

DAY = 1_767_052_800.0  # Tuesday 30 December 2025, 00:00 UTC
MORNING = DAY + 10.5 * 3600
AFTERNOON = DAY + 15.5 * 3600
WALL_METRICS: list[dict[str, Any]] = [
    {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]},
    *(
        {"Name": name}
        for name in (
            "CONTACTS_QUEUED",
            "CONTACTS_HANDLED",
            "CONTACTS_ABANDONED",
            "ABANDONMENT_RATE",
            "AVG_HANDLE_TIME",
            "AVG_QUEUE_ANSWER_TIME",
            "MAX_QUEUED_TIME",
            "AVG_ABANDON_TIME",
        )
    ),
]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def measure(calls: int, clock: Clock, call: Callable[[], object]) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds, after one warm-up call."""
    call()
    durations = []
    for _ in range(calls):
        clock.now += 1
        started = time.perf_counter()
        call()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[int(0.95 * (len(durations) - 1))]


def report(name: str, figures: tuple[float, float]) -> None:
    print(f"{name:<64} median {figures[0]:7.1f} ms   p95 {figures[1]:7.1f} ms")


def current_metrics(calls: int) -> None:
    for agents in (60, 300, 5000):
        clock = Clock(MORNING)
        centre = SimulatedCentre(7, agents=agents, clock=clock)
        client = centre.client()
        queues = [q.id for q in centre.topology.queues if q.queue_type == "STANDARD"]
        request: dict[str, Any] = {
            "InstanceId": SIMULATED_INSTANCE_ID,
            "Filters": {"Queues": queues, "Channels": ["VOICE", "CHAT", "TASK"]},
            "Groupings": ["QUEUE", "CHANNEL"],
            "CurrentMetrics": [{"Name": n, "Unit": str(m.unit)} for n, m in METRICS.items()],
        }

        def call(client: Any = client, request: dict[str, Any] = request) -> None:
            client.get_current_metric_data(**request)

        report(
            f"GetCurrentMetricData, 20 queues x channels, {agents} agents",
            measure(calls, clock, call),
        )

        def answer(centre: SimulatedCentre = centre, request: dict[str, Any] = request) -> None:
            centre.get_current_metric_data(SIMULATED_INSTANCE_ID, request)

        report("  of which the centre's answer", measure(calls, clock, answer))


def user_data(calls: int) -> None:
    for agents in (300, 5000):
        clock = Clock(MORNING)
        centre = SimulatedCentre(7, agents=agents, clock=clock)
        client = centre.client()
        profiles = [p.id for p in centre.topology.profiles]

        def call(client: Any = client, profiles: list[str] = profiles) -> None:
            client.get_current_user_data(
                InstanceId=SIMULATED_INSTANCE_ID, Filters={"RoutingProfiles": profiles}
            )

        report(f"GetCurrentUserData, a page of 100 of {agents} agents", measure(calls, clock, call))

        def answer(centre: SimulatedCentre = centre, profiles: list[str] = profiles) -> None:
            centre.get_current_user_data(
                SIMULATED_INSTANCE_ID, {"Filters": {"RoutingProfiles": profiles}}
            )

        report("  of which the centre's answer", measure(calls, clock, answer))


def today(calls: int) -> None:
    clock = Clock(AFTERNOON)
    centre = SimulatedCentre(7, clock=clock)
    client = centre.client()
    queues = [q.id for q in centre.topology.queues if q.queue_type == "STANDARD"]
    for period in ("TOTAL", "FIFTEEN_MIN"):

        def call(period: str = period) -> None:
            request: dict[str, Any] = {
                "ResourceArn": centre.topology.instance_arn,
                "StartTime": datetime.fromtimestamp(DAY, UTC),
                "EndTime": datetime.fromtimestamp(clock.now, UTC),
                "Interval": {"IntervalPeriod": period, "TimeZone": "UTC"},
                "Filters": [{"FilterKey": "QUEUE", "FilterValues": queues}],
                "Groupings": ["QUEUE"],
                "Metrics": WALL_METRICS,
            }
            answer = client.get_metric_data_v2(**request)
            while "NextToken" in answer:
                answer = client.get_metric_data_v2(**request, NextToken=answer["NextToken"])

        report(
            f"GetMetricDataV2 since midnight, 20 queues, {period} (all pages)",
            measure(max(10, calls // 10), clock, call),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--only", choices=["current"])
    args = parser.parse_args()
    current_metrics(args.calls)
    if args.only is None:
        user_data(args.calls)
        today(args.calls)


if __name__ == "__main__":
    main()
