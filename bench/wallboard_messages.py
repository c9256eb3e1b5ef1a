"""Synthetic wallboard messages shaped like the server's (docs/messages.md).

For the TV endurance benchmark, which feeds a page faster than any real poll
would: queues whose numbers random-walk, thresholds that breach now and then,
and trend points in 30-second buckets. The centre keeps its own clock for the
trend buckets (so thousands of fast updates cover hours of trends and the
page's 60-minute window really prunes), while every message is stamped with
the real time, so the page sees its data as fresh.
"""

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectmetrics.catalogue import DEFAULT_METRICS, METRICS, TREND_METRICS
from connectmetrics.thresholds import Band, Direction

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
