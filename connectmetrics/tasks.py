"""Celery tasks: beat's dispatcher and the poll it enqueues.

Beat runs `dispatch_due_polls` every second (dashboard/celery.py). It claims the
due slot of each source of every kind (connectmetrics.schedule) and enqueues one
`poll_source_task` per claim, expiring when its slot ends: a poll that
waited in a backlog longer than that is dropped by the worker, never run late,
because the next interval's poll is already on its way. Tasks carry the source's
kind and ID, and the end of the slot (`start_by`): a task that started in time but
could not make its call before then (a cold worker) is dropped the same way.

`PromptReconnectConsumer` is the worker's consumer (settings.CELERY_WORKER_CONSUMER):
after losing Redis it tries again every second, so polls resume within a second or two
of Redis returning.
"""

import functools
import time
from typing import Any

from celery import shared_task
from celery.worker.consumer import Consumer

from connectmetrics.polling import Step, poll_source
from connectmetrics.schedule import claim_due_polls, slot_claims
from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.registry import run_chore


@shared_task(name="connectmetrics.dispatch_due_polls", ignore_result=True)
def dispatch_due_polls() -> int:
    """Enqueue a poll for every source whose interval is due; how many were enqueued."""
    due = claim_due_polls(slot_claims())
    now = time.time()
    for poll in due:
        poll_source_task.apply_async(
            (poll.source.kind, poll.source.id),
            kwargs={"start_by": now + poll.ends_in},
            expires=poll.ends_in,
        )
    return len(due)


@shared_task(name="connectmetrics.poll_source", ignore_result=True)
def poll_source_task(
    kind: str,
    source_id: int,
    resume_token: str | None = None,
    turn_due_at: float | None = None,
    start_by: float | None = None,
) -> str:
    """Poll one source; when it must wait for its turn of the quota, enqueue its
    resumption for that moment (it keeps its lock and its reserved token meanwhile).
    A scheduled poll carries the end of its slot (`start_by`)."""
    source = SourceKey(kind, source_id)
    result = poll_source(
        source, resume_token=resume_token, turn_due_at=turn_due_at, start_by=start_by
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
