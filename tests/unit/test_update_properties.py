"""The reconnect rule on compact updates, for random runs of polls: rows coming, going,
moving and renamed, values and levels changing, metrics changed, failed polls, trend
buckets crossed; and screens that miss updates.

Whatever a screen misses, it never shows a wrong board: the updates it applies always
rebuild the snapshot of their seq exactly, and a screen whose socket could not take
every update is sent a fresh snapshot by the server (dashboard/fanout.py's outbox)."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from connectmetrics.sources.trends import apply_trend_points
from connectmetrics.wire import socket_messages
from connectmetrics.wire.message_builder import (
    Body,
    ThresholdRule,
    cell_levels,
    failed_body,
    ok_body,
    snapshot,
    trend_points,
    update,
    waiting_snapshot,
)
from connectmetrics.wire.socket_messages import Resource, Row, Snapshot, Trends, Update
from connectmetrics.wire.thresholds import Band, Direction
from dashboard import fanout
from dashboard.consumers import KINDS
from tests.socket_rule import OutOfStep, apply_update

KEYS = [f"QUEUE=q-{n}" for n in range(6)]
METRIC_SETS = [
    ["CONTACTS_IN_QUEUE", "AGENTS_AVAILABLE"],
    ["CONTACTS_IN_QUEUE", "AGENTS_AVAILABLE", "OLDEST_CONTACT_AGE"],
]
THRESHOLDS = [ThresholdRule("CONTACTS_IN_QUEUE", Band(2, 4, Direction.HIGHER_IS_WORSE))]
START_MS = 1_800_000_000_000


@dataclass(frozen=True)
class Poll:
    keys: list[str]
    values: list[int]
    renamed: bool
    metric_set: int
    failed: bool
    buckets_on: int


polls = st.builds(
    Poll,
    keys=st.lists(st.sampled_from(KEYS), unique=True, max_size=len(KEYS)),
    values=st.lists(st.integers(0, 6), min_size=len(KEYS) * 3, max_size=len(KEYS) * 3),
    renamed=st.booleans(),
    metric_set=st.integers(0, 1),
    failed=st.booleans(),
    buckets_on=st.sampled_from([0, 0, 1, 2, 121]),
)


def body_of(poll: Poll, last_good: Body | None) -> Body:
    if poll.failed:
        return failed_body(
            last_good, reason="throttled", metrics=[], groupings=["QUEUE"], poll_interval=5
        )
    metrics = METRIC_SETS[poll.metric_set]
    rows = []
    for at, key in enumerate(poll.keys):
        values: dict[str, socket_messages.Value] = {
            metric: poll.values[at * 3 + n] for n, metric in enumerate(metrics)
        }
        label = f"{key} (renamed)" if poll.renamed and at == 0 else key
        rows.append(
            Row(
                key=key,
                label=label,
                dimensions={"QUEUE": Resource(id=key[6:], arn=f"arn:{key}", name=label)},
                values=values,
                levels=cell_levels(values, None, THRESHOLDS),
            )
        )
    return ok_body(
        rows=rows,
        metrics=metrics,
        groupings=["QUEUE"],
        data_snapshot_time=None,
        fetched_at=None,
        poll_interval=5,
    )


def run_of(poll_list: list[Poll]) -> list[tuple[Snapshot, Update]]:
    """What the poller makes of each poll: the snapshot it keeps, the update it sends
    (each encoded and decoded, as the store and the sockets carry them)."""
    kept = waiting_snapshot(7, published_at=published(), build="b")
    trends: Trends = {}
    last_good: Body | None = None
    bucket = START_MS
    made = []
    for seq, poll in enumerate(poll_list, start=1):
        body = body_of(poll, last_good)
        bucket += poll.buckets_on * 30_000
        new_bucket = None
        if not poll.failed:
            last_good = body
            apply_trend_points(trends, trend_points(body.rows, bucket))
            new_bucket = bucket
        fresh = snapshot(
            queue_filter_id=7,
            seq=seq,
            body=body,
            published_at=published(),
            build="b",
            trends=trends,
        )
        sent = update(
            kept, seq=seq, body=body, published_at=published(), build="b",
            bucket=new_bucket,
        )  # fmt: skip
        kept = socket_messages.decode_snapshot(socket_messages.encode(fresh))
        decoded = socket_messages.decode(socket_messages.encode(sent))
        assert isinstance(decoded, Update)
        made.append((kept, decoded))
    return made


def published() -> datetime:
    return datetime.fromtimestamp(START_MS / 1000, UTC)


@settings(max_examples=150, deadline=None)
@given(poll_list=st.lists(polls, min_size=1, max_size=12), delivered=st.lists(st.booleans()))
def test_updates_rebuild_each_snapshot_and_a_skipped_one_is_never_applied(
    poll_list: list[Poll], delivered: list[bool]
) -> None:
    made = run_of(poll_list)
    state = waiting_snapshot(7, published_at=published(), build="b")
    state = socket_messages.decode_snapshot(socket_messages.encode(state))
    for at, (fresh, sent) in enumerate(made):
        if at < len(delivered) and not delivered[at]:
            continue  # this screen missed it
        try:
            state = apply_update(state, sent)
        except OutOfStep:
            state = fresh  # the screen asks for (or is sent) a fresh snapshot
        # Never a wrong board: what it shows is the snapshot of its seq.
        assert state == fresh
    if made and (len(delivered) < len(made) or delivered[len(made) - 1]):
        assert state == made[-1][0]


@settings(max_examples=100, deadline=None)
@given(poll_list=st.lists(polls, min_size=1, max_size=12), stalled=st.lists(st.booleans()))
def test_a_socket_too_slow_for_every_update_gets_a_fresh_snapshot_never_a_gap(
    poll_list: list[Poll], stalled: list[bool]
) -> None:
    made = run_of(poll_list)
    by_seq = {fresh.seq: fresh for fresh, _ in made}

    async def scenario() -> list[str]:
        written: list[str] = []
        flowing = asyncio.Event()
        flowing.set()

        async def send(text: str) -> None:
            await flowing.wait()
            written.append(text)

        async def close(code: int, reason: str) -> None:
            raise AssertionError("the socket was closed")

        outbox = fanout.Outbox(send, close, KINDS)
        first = waiting_snapshot(7, published_at=published(), build="b")
        outbox.put_snapshot(0, socket_messages.encode(first))
        outbox.release()
        for at, (fresh, sent) in enumerate(made):
            if at < len(stalled) and stalled[at]:
                flowing.clear()
            else:
                flowing.set()
            text = socket_messages.encode(sent)
            if not outbox.put_update(sent.seq, sent.base, text):
                # What the consumer does: the latest snapshot from the store.
                outbox.put_snapshot(fresh.seq, socket_messages.encode(fresh))
            for _ in range(5):
                await asyncio.sleep(0)
        flowing.set()
        for _ in range(10):
            await asyncio.sleep(0)
        return written

    written = asyncio.run(scenario())
    state: Snapshot | None = None
    for text in written:
        message = socket_messages.decode(text)
        if isinstance(message, Snapshot):
            state = message
        else:
            assert state is not None and isinstance(message, Update)
            state = apply_update(state, message)  # OutOfStep here would be a wrong board
        assert state == (by_seq[state.seq] if state.seq else state)
    assert state == made[-1][0]
