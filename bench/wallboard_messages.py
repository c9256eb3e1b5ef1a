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
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.project_env import bench_project_env  # noqa: E402
from connectmetrics.connectapi.catalogue import DEFAULT_METRICS  # noqa: E402
from connectmetrics.sources.trends import apply_trend_points, trend_bucket  # noqa: E402
from connectmetrics.wire.message_builder import (  # noqa: E402
    Body,
    ThresholdRule,
    cell_levels,
    iso,
    ok_body,
    snapshot,
    trend_points,
    update,
)
from connectmetrics.wire.socket_messages import (  # noqa: E402
    PanelSettings,
    Resource,
    Row,
    Snapshot,
    Trends,
    Value,
    WallboardMessage,
    encode,
)
from connectmetrics.wire.thresholds import Band, Direction  # noqa: E402

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


THRESHOLDS = [ThresholdRule(metric, band) for metric, band in BANDS.items()]


@dataclass
class SyntheticCentre:
    """A contact centre whose numbers change on every `tick`, its messages made by the
    real message builder (connectmetrics/wire/message_builder.py)."""

    queues: int = 20
    metrics: tuple[str, ...] = DEFAULT_METRICS
    queue_filter: int = 1
    build: str = "dev"
    seed: int = 7
    poll_interval: int = 5
    seq: int = 0
    clock: datetime = field(default_factory=lambda: datetime.now(UTC))
    values: dict[str, dict[str, float]] = field(default_factory=dict)
    trends: Trends = field(default_factory=dict)
    # The snapshot of the last message made: what the next update applies to.
    last: Snapshot | None = None

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

    def body(self) -> Body:
        rows = []
        for index in range(self.queues):
            key = self.key(index)
            values: dict[str, Value] = {m: self.values[key].get(m) for m in self.metrics}
            queue = Resource(id=key[6:], arn="", name=self.label(index))
            rows.append(
                Row(
                    key=key,
                    label=self.label(index),
                    dimensions={"QUEUE": queue},
                    values=values,
                    levels=cell_levels(values, None, THRESHOLDS),
                )
            )
        now = datetime.now(UTC)
        return ok_body(
            rows=rows,
            metrics=self.metrics,
            groupings=["QUEUE"],
            data_snapshot_time=now,
            fetched_at=now,
            poll_interval=self.poll_interval,
        )

    def bucket(self) -> int:
        return trend_bucket(self.clock)

    def warm_up(self, minutes: int = 60) -> None:
        """An hour of history, so trend lines start full."""
        self.clock -= timedelta(minutes=minutes)
        for _ in range(minutes * 2):
            self.step(30)
            apply_trend_points(self.trends, trend_points(self.body().rows, self.bucket()))

    def _snapshot(self, body: Body) -> Snapshot:
        self.seq += 1
        self.last = snapshot(
            queue_filter_id=self.queue_filter,
            seq=self.seq,
            body=body,
            published_at=datetime.now(UTC),
            build=self.build,
            trends=self.trends,
        )
        return self.last

    def snapshot(self) -> str:
        return encode(self._snapshot(self.body()))

    def updates(self, seconds: float) -> Iterator[str]:
        """An endless run of update messages, `seconds` of centre time apart."""
        while True:
            base = self.last or self._snapshot(self.body())
            self.step(seconds)
            body = self.body()
            apply_trend_points(self.trends, trend_points(body.rows, self.bucket()))
            self._snapshot(body)
            yield encode(
                update(
                    base,
                    seq=self.seq,
                    body=body,
                    published_at=datetime.now(UTC),
                    build=self.build,
                    bucket=self.bucket(),
                )
            )


def wallboard_message(title: str, *, ticker: str = "", build: str = "dev") -> str:
    return encode(
        WallboardMessage(
            slug="bench",
            title=title,
            panels=[
                PanelSettings(
                    id=1,
                    title=title,
                    layout="tiles",
                    columns=list(DEFAULT_METRICS),
                    source="queue_filter:1",
                    queue_filter=1,
                )
            ],
            theme="dark",
            ticker=ticker,
            sound_on_critical=False,
            rotation=[],
            rotation_seconds=30,
            build=build,
            published_at=iso(datetime.now(UTC)) or "",
        )
    )


# --- the real demo wallboard ------------------------------------------------------


class DemoMessages(NamedTuple):
    """What the demo wallboard's screens get: the snapshot after the first poll, then
    the update of every poll after it; and the snapshot kept after the last."""

    snapshot: str
    updates: list[str]
    latest: str


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

    from connectmetrics.poller.polling import Step, poll_source
    from connectmetrics.poller.readings import readings_store
    from connectmetrics.simulator import activity
    from dashboard.models import Wallboard

    call_command("migrate", verbosity=0)
    call_command("seed_demo", admin_password="bench-admin-password", stdout=io.StringIO())
    panel = Wallboard.objects.get(slug="demo").panels.all()[0]
    source = panel.source_key
    published: list[str] = []
    shift = [0.0]
    at_time = activity.snapshot
    # The centre's time moves on `seconds_apart` per poll, without waiting for it.
    with mock.patch.object(activity, "snapshot", lambda t, at: at_time(t, at + shift[0])):
        for _ in range(updates + 1):
            shift[0] += seconds_apart
            result = poll_source(source, publish=lambda _, text: published.append(text))
            if result.step is not Step.OK:
                raise RuntimeError(f"a demo poll ended {result.step}")
            if len(published) == 1:
                snapshot = readings_store().latest_text(source)
    latest = readings_store().latest_text(source)
    pipe.send(DemoMessages(snapshot, published[1:], latest))


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
