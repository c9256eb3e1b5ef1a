"""Celery tasks: beat's dispatcher and the poll it enqueues.

Beat runs `dispatch_due_polls` every second (dashboard/celery.py). It claims the
due slot of each source of every kind (connectmetrics.poller.schedule) and enqueues one
`poll_source_task` per claim. Tasks carry the source's kind and ID, and its interval:
the poll makes the call of the slot it runs in, unless that slot had its call already
(connectmetrics/poller/polling.py), so a task that waited in a backlog past its own slot
takes the next one's call, and that slot's task then makes none. A task still waiting
when the next slot ends is dropped by the worker (it expires): by then a newer one is
on its way, and a worker back from an outage does not work through a pile of them.

`PromptReconnectConsumer` is the worker's consumer (settings.CELERY_WORKER_CONSUMER):
after losing Redis it tries again every second, so polls resume within a second or two
of Redis returning.
"""

import functools
from typing import Any

from celery import shared_task
from celery.worker.consumer import Consumer

from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.poller.schedule import claim_due_polls, slot_claims
from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.registry import run_chore


@shared_task(name="connectmetrics.dispatch_due_polls", ignore_result=True)
def dispatch_due_polls() -> int:
    """Enqueue a poll for every source whose interval is due; how many were enqueued."""
    due = claim_due_polls(slot_claims())
    for poll in due:
        poll_source_task.apply_async(
            (poll.source.kind, poll.source.id),
            kwargs={"interval": poll.interval},
            expires=poll.ends_in + poll.interval,
        )
    return len(due)


@shared_task(name="connectmetrics.poll_source", ignore_result=True)
def poll_source_task(
    kind: str,
    source_id: int,
    resume_token: str | None = None,
    turn_due_at: float | None = None,
    interval: int | None = None,
) -> str:
    """Poll one source; when it must wait for its turn of the quota, enqueue its
    resumption for that moment (it keeps its lock and its reserved token meanwhile).
    A scheduled poll carries its interval: it makes the call of the slot it runs in."""
    source = SourceKey(kind, source_id)
    result = poll_source(
        source, resume_token=resume_token, turn_due_at=turn_due_at, interval=interval
    )
    if result.step is Step.DEFERRED:
        poll_source_task.apply_async(
            (kind, source_id, result.resume_token, result.turn_due_at),
            countdown=result.turn_in,
            expires=result.resume_by,
        )
    return result.step.value


# Seconds between attempts to reach a lost broker.
RECONNECT_SECONDS = 1


class PromptReconnectConsumer(Consumer):
    """Celery's worker consumer, reconnecting to a lost broker every second.

    Celery's own waits 2, 4, 6 ... up to 30 s between attempts (kombu's defaults, which
    it does not let settings change), so after Redis restarts the screens could go a
    further 10-30 s without a poll. One connection attempt a second to the project's
    own Redis costs nothing. Attempts go on for as long as Redis is away: past
    broker_connection_max_retries the consumer starts its attempts over.
    """

    def ensure_connected(self, conn: Any) -> Any:
        conn.ensure_connection = functools.partial(
            conn.ensure_connection,
            interval_start=RECONNECT_SECONDS,
            interval_step=0,
            interval_max=RECONNECT_SECONDS,
        )
        return super().ensure_connected(conn)


@shared_task(name="connectmetrics.run_chore", ignore_result=True)
def run_chore_task(path: str) -> None:
    """A kind's work besides its polls (connectmetrics/sources/registry.py CHORES)."""
    run_chore(path)
