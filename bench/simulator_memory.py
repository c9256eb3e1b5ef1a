"""The simulated centre's memory over simulated days, as a worker polling it uses it.

    .venv/bin/python -m bench.simulator_memory [--days 7] [--step-minutes 30]

One process, seed_demo's size (20 queues, 300 agents), from Saturday 28 March 2026
20:00 UTC (Europe/London: the clocks go forward that night): every `--step-minutes` of
data time, the calls the demo's sources make, through a real boto3 client:
GetCurrentMetricData for every queue and channel, GetCurrentUserData for every agent
(every page) and GetMetricDataV2 since the centre's local midnight for every queue.
At the end of each simulated day it prints the draws the centre keeps
(connectmetrics/simulator/activity.py), the memory allocated in the simulator's code
(tracemalloc, MiB) and the process's RSS, each with its ratio to the first day's.
A step of 30 minutes asks for every five-minute bucket and every half-hour block, as
the worker's polls do, in a fifth of the time.
"""

import argparse
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectmetrics.connectapi.catalogue import METRICS, SIMULATED_INSTANCE_ID
from connectmetrics.simulator import SimulatedCentre, activity
from connectmetrics.simulator.recent import Recent

START = datetime(2026, 3, 28, 20, tzinfo=UTC)
ZONE = ZoneInfo("Europe/London")
DRAWS: dict[str, Recent[Any, Any]] = {
    "arrivals": activity.arrivals,
    "callbacks": activity._callbacks,
    "segments": activity._segments,
    "timelines": activity._timeline,
    "absences": activity._absent,
}
SIMULATOR = str(Path(activity.__file__).parent)
TODAY_METRICS = [{"Name": "CONTACTS_HANDLED"}, {"Name": "CONTACTS_ABANDONED"}]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def simulator_mib() -> float:
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, f"{SIMULATOR}/*")]
    )
    return sum(stat.size for stat in snapshot.statistics("filename")) / 2**20


def poll(centre: SimulatedCentre, client: Any, now: datetime) -> None:
    queues = [q.id for q in centre.topology.queues if q.queue_type == "STANDARD"]
    client.get_current_metric_data(
        InstanceId=SIMULATED_INSTANCE_ID,
        Filters={"Queues": queues, "Channels": ["VOICE", "CHAT", "TASK"]},
        Groupings=["QUEUE", "CHANNEL"],
        CurrentMetrics=[{"Name": n, "Unit": str(m.unit)} for n, m in METRICS.items()],
    )
    profiles = [p.id for p in centre.topology.profiles]
    page: dict[str, Any] = {}
    while True:
        answer = client.get_current_user_data(
            InstanceId=SIMULATED_INSTANCE_ID, Filters={"RoutingProfiles": profiles}, **page
        )
        if "NextToken" not in answer:
            break
        page = {"NextToken": answer["NextToken"]}
    local = now.astimezone(ZONE)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight >= now:
        return
    request: dict[str, Any] = {
        "ResourceArn": centre.topology.instance_arn,
        "StartTime": midnight,
        "EndTime": now,
        "Interval": {"IntervalPeriod": "TOTAL", "TimeZone": str(ZONE)},
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": queues}],
        "Groupings": ["QUEUE"],
        "Metrics": TODAY_METRICS,
    }
    answer = client.get_metric_data_v2(**request)
    while "NextToken" in answer:
        answer = client.get_metric_data_v2(**request, NextToken=answer["NextToken"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--step-minutes", type=float, default=30)
    args = parser.parse_args()
    clock = Clock(START.timestamp())
    centre = SimulatedCentre(7, agents=300, clock=clock)
    client = centre.client()
    tracemalloc.start()
    step = timedelta(minutes=args.step_minutes)
    print(f"{'day':>4} " + " ".join(f"{name:>10}" for name in DRAWS) + "    MiB   RSS MB")
    first: tuple[float, float] | None = None
    for day in range(1, args.days + 1):
        end = START + timedelta(days=day)
        now = datetime.fromtimestamp(clock.now, UTC)
        while now < end:
            poll(centre, client, now)
            now += step
            clock.now = now.timestamp()
        kept = [draw.entries() for draw in DRAWS.values()]
        mib, rss = simulator_mib(), rss_mb()
        first = first or (mib, rss)
        print(
            f"{day:>4} "
            + " ".join(f"{n:>10,}" for n in kept)
            + f" {mib:6.1f} {rss:8.0f}   x{mib / first[0]:.2f} MiB, x{rss / first[1]:.2f} RSS",
            flush=True,
        )


if __name__ == "__main__":
    main()
