"""Celery tasks: beat's dispatcher and the poll it enqueues.

Beat runs `dispatch_due_polls` every second (dashboard/celery.py). It claims the
due slot of each queue filter (connectmetrics.schedule) and enqueues one
`poll_queue_filter_task` per claim, with `expires` of one interval: a poll that
waited in a backlog longer than that is dropped by the worker, never run late,
because the next interval's poll is already on its way. Tasks carry IDs only.
"""

from celery import shared_task

from connectmetrics.polling import Step, poll_queue_filter
from connectmetrics.schedule import claim_due_polls, slot_claims


@shared_task(name="connectmetrics.dispatch_due_polls", ignore_result=True)
def dispatch_due_polls() -> int:
    """Enqueue a poll for every queue filter whose interval is due; how many were enqueued."""
    due = claim_due_polls(slot_claims())
    for poll in due:
        poll_queue_filter_task.apply_async((poll.queue_filter_id,), expires=poll.interval)
    return len(due)


@shared_task(name="connectmetrics.poll_queue_filter", ignore_result=True)
def poll_queue_filter_task(queue_filter_id: int, resume_token: str | None = None) -> str:
    """Poll one queue filter; when it must wait for its turn of the quota, enqueue its
    resumption for that moment (it keeps its lock and its reserved token meanwhile)."""
    result = poll_queue_filter(queue_filter_id, resume_token=resume_token)
    if result.step is Step.DEFERRED:
        poll_queue_filter_task.apply_async(
            (queue_filter_id, result.resume_token),
            countdown=result.turn_in,
            expires=result.resume_by,
        )
    return result.step.value
