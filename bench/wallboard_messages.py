"""Wallboard messages for the benchmarks (docs/messages.md).

`demo_messages` gives the real demo wallboard's messages: `seed_demo` on a
fresh database, then the real poller polling the simulated centre, 5 s of
centre time apart, capturing the texts it publishes. The fan-out benchmark
sends these; `python bench/wallboard_messages.py` prints their sizes.

`SyntheticCentre` is for the TV endurance benchmark, which feeds a page faster than any real poll
would: queues whose numbers random-walk, thresholds that breach now and then,
and trend points in 30-second buckets. The centre keeps its own clock for the
trend buckets (so thousands of fast updates cover hours of trends and the
page's 60-minute window really prunes), while every message is stamped with
the real time, so the page sees its data as fresh.
"""

import argparse
import io
import json
import multiprocessing
import multiprocessing.connection
import os
import random
import statistics
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.project_env import bench_project_env  # noqa: E402
from connectmetrics.catalogue import DEFAULT_METRICS, METRICS, TREND_METRICS  # noqa: E402
from connectmetrics.thresholds import Band, Direction  # noqa: E402

QUEUE_NAMES = (
    "Sales",
    "Billing",
    "Technical support",
    "Returns",
    "Collections",
    "Retention",
    "Claims",
    "Bookings",
    "Accounts",
    "Premium line",
    "Complaints",
    "Callbacks",
    "Fraud & disputes",
    "Onboarding",
    "Renewals",
    "Service desk",
    "Partners",
    "Deliveries",
    "Payments",
    "<b>Escalations</b>",
)

BANDS = {
    "CONTACTS_IN_QUEUE": Band(5, 10, Direction.HIGHER_IS_WORSE),
    "OLDEST_CONTACT_AGE": Band(120, 300, Direction.HIGHER_IS_WORSE),
    "AGENTS_AVAILABLE": Band(1, 0, Direction.LOWER_IS_WORSE),
}


def iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class SyntheticCentre:
    """A contact centre whose numbers change on every `tick`."""

    queues: int = 20
    metrics: tuple[str, ...] = DEFAULT_METRICS
    queue_filter: int = 1
    build: str = "dev"
    seed: int = 7
    poll_interval: int = 5
    seq: int = 0
    clock: datetime = field(default_factory=lambda: datetime.now(UTC))
    values: dict[str, dict[str, float]] = field(default_factory=dict)
    trends: dict[str, dict[str, list[list[Any]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        for index in range(self.queues):
            self.values[self.key(index)] = {
                "AGENTS_ONLINE": self.random.randint(4, 30),
                "AGENTS_AVAILABLE": self.random.randint(0, 6),
                "AGENTS_ON_CONTACT": self.random.randint(2, 20),
                "AGENTS_AFTER_CONTACT_WORK": self.random.randint(0, 4),
                "CONTACTS_IN_QUEUE": self.random.randint(0, 8),
                "OLDEST_CONTACT_AGE": float(self.random.randint(0, 200)),
            }

    @staticmethod
    def key(index: int) -> str:
        return f"QUEUE=q-{index:04d}"

    def label(self, index: int) -> str:
        base = QUEUE_NAMES[index % len(QUEUE_NAMES)]
        return base if index < len(QUEUE_NAMES) else f"{base} {index // len(QUEUE_NAMES) + 1}"

    def step(self, seconds: float) -> None:
        self.clock += timedelta(seconds=seconds)
        for values in self.values.values():
            for metric in values:
                if metric == "OLDEST_CONTACT_AGE":
                    grow = values["CONTACTS_IN_QUEUE"] > 0 and self.random.random() < 0.8
                    values[metric] = (
                        values[metric] + seconds if grow else self.random.randint(0, 30)
                    )
                else:
                    values[metric] = max(0, values[metric] + self.random.choice((-1, 0, 0, 1)))

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for index in range(self.queues):
            key = self.key(index)
            values = {m: self.values[key].get(m) for m in self.metrics}
            rows.append(
                {
                    "key": key,
                    "label": self.label(index),
                    "dimensions": {"QUEUE": {"id": key[6:], "arn": "", "name": self.label(index)}},
                    "values": values,
                    "levels": {
                        m: BANDS[m].level(values[m]).value for m in self.metrics if m in BANDS
                    },
                }
            )
        return rows

    def totals(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        values: dict[str, float] = {}
        for metric in self.metrics:
            kind = METRICS[metric].total
            column = [r["values"][metric] for r in rows if r["values"][metric] is not None]
            if kind == "sum":
                values[metric] = sum(column)
            elif kind == "max":
                values[metric] = max(column, default=0)
        levels = {m: BANDS[m].level(values[m]).value for m in values if m in BANDS}
        return {"values": values, "levels": levels}

    def bucket(self) -> int:
        ms = int(self.clock.timestamp() * 1000)
        return ms - ms % 30_000

    def trend_points(self, rows: list[dict[str, Any]]) -> dict[str, dict[str, list[Any]]]:
        bucket = self.bucket()
        return {
            row["key"]: {m: [bucket, row["values"][m]] for m in TREND_METRICS if m in row["values"]}
            for row in rows
        }

    def envelope(self, kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        self.seq += 1
        now = iso(datetime.now(UTC))
        return {
            "type": kind,
            "queue_filter": self.queue_filter,
            "seq": self.seq,
            "status": "ok",
            "reason": "",
            "data_snapshot_time": now,
            "fetched_at": now,
            "published_at": now,
            "poll_interval": self.poll_interval,
            "build": self.build,
            "metrics": [
                {"name": m, "unit": METRICS[m].unit.value, "label": METRICS[m].label}
                for m in self.metrics
            ],
            "groupings": ["QUEUE"],
            "rows": rows,
            "totals": self.totals(rows),
        }

    def warm_up(self, minutes: int = 60) -> None:
        """An hour of history, so trend lines start full."""
        self.clock -= timedelta(minutes=minutes)
        for _ in range(minutes * 2):
            self.step(30)
            self.record(self.trend_points(self.rows()))

    def record(self, points: dict[str, dict[str, list[Any]]]) -> None:
        cutoff = self.bucket() - 60 * 60 * 1000
        for key, series in points.items():
            row = self.trends.setdefault(key, {})
            for metric, point in series.items():
                history = row.setdefault(metric, [])
                if history and history[-1][0] == point[0]:
                    history[-1] = point
                else:
                    history.append(point)
                row[metric] = [p for p in history if p[0] > cutoff]

    def snapshot(self) -> str:
        rows = self.rows()
        message = self.envelope("snapshot", rows)
        message["trends"] = self.trends
        return json.dumps(message)

    def updates(self, seconds: float) -> Iterator[str]:
        """An endless run of update messages, `seconds` of centre time apart."""
        while True:
            self.step(seconds)
            rows = self.rows()
            points = self.trend_points(rows)
            self.record(points)
            message = self.envelope("update", rows)
            message["trend_points"] = points
            yield json.dumps(message)


def wallboard_message(title: str, *, ticker: str = "", build: str = "dev") -> str:
    return json.dumps(
        {
            "type": "wallboard",
            "title": title,
            "columns": list(DEFAULT_METRICS),
            "layout": "tiles",
            "theme": "dark",
            "ticker": ticker,
            "sound_on_critical": False,
            "rotation": [],
            "rotation_seconds": 30,
            "build": build,
        }
    )


# --- the real demo wallboard ------------------------------------------------------


class DemoMessages(NamedTuple):
    """What the demo wallboard's screens get: the snapshot after the first poll, then
    the update of every poll after it."""

    snapshot: str
    updates: list[str]


def demo_messages(updates: int, seconds_apart: float = 5.0) -> DemoMessages:
    """The demo wallboard's ("demo", 20 queues, as `make demo` seeds it) messages over
    `updates` polls after the first, `seconds_apart` of centre time apart."""
    spawn = multiprocessing.get_context("spawn")
    parent_end, child_end = spawn.Pipe()
    with tempfile.TemporaryDirectory() as workdir:
        env = bench_project_env("dashboard.settings", Path(workdir) / "demo.sqlite3")
        env.pop("REDIS_URL", None)
        # The messages, not the quota: every poll goes at once.
        env["CONNECT_RATE_BURST"] = str(updates + 10)
        process = spawn.Process(
            target=_poll_the_demo, args=(env, updates, seconds_apart, child_end)
        )
        process.start()
        if not parent_end.poll(300):
            process.kill()
            raise RuntimeError("the demo polls did not finish (see the error above)")
        found: DemoMessages = parent_end.recv()
        process.join()
    return found


def _poll_the_demo(
    env: dict[str, str],
    updates: int,
    seconds_apart: float,
    pipe: multiprocessing.connection.Connection,
) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from unittest import mock

    from django.core.management import call_command

    from connectmetrics.polling import Step, poll_queue_filter
    from connectmetrics.readings import readings_store
    from connectmetrics.simulator import activity
    from dashboard.models import Wallboard

    call_command("migrate", verbosity=0)
    call_command("seed_demo", admin_password="bench-admin-password", stdout=io.StringIO())
    queue_filter_id = Wallboard.objects.get(slug="demo").queue_filter_id
    published: list[str] = []
    shift = [0.0]
    at_time = activity.snapshot
    # The centre's time moves on `seconds_apart` per poll, without waiting for it.
    with mock.patch.object(activity, "snapshot", lambda t, at: at_time(t, at + shift[0])):
        for _ in range(updates + 1):
            shift[0] += seconds_apart
            result = poll_queue_filter(
                queue_filter_id, publish=lambda _, text: published.append(text)
            )
            if result.step is not Step.OK:
                raise RuntimeError(f"a demo poll ended {result.step}")
            if len(published) == 1:
                snapshot = readings_store().latest_text(queue_filter_id)
    pipe.send(DemoMessages(snapshot, published[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description="Sizes of the demo wallboard's messages.")
    parser.add_argument("--updates", type=int, default=60)
    parser.add_argument("--seconds-apart", type=float, default=5.0)
    args = parser.parse_args()
    found = demo_messages(args.updates, args.seconds_apart)
    sizes = sorted(len(text.encode()) for text in found.updates)
    print(f"snapshot after the first poll: {len(found.snapshot.encode()):,} bytes")
    print(
        f"{len(sizes)} updates, {args.seconds_apart:g} s apart: median "
        f"{statistics.median(sizes):,.0f} bytes, p90 {sizes[int(len(sizes) * 0.9)]:,}, "
        f"max {sizes[-1]:,}, min {sizes[0]:,}"
    )


if __name__ == "__main__":
    main()
