"""The admin's "Poll now": end a queue filter's rest and poll it without waiting.

Typically after fixing what was failing (a role's permissions, say), when the
rest after "access denied" would otherwise last up to 30 minutes.

- Full topology: the rest is ended and a poll task is enqueued at once; a
  worker runs it like any other poll (the poll lock, the rate governor and
  the task's expiry all apply).
- Embedded mode: the poll must run where embedded polls run, since its update
  is published from the server's event loop (the in-memory channel layer is
  not thread-safe) and an admin request runs on another thread. So the rest is
  ended and the embedded poller polls the filter at its next slot, within one
  poll interval.
"""

import logging

import redis
from django.conf import settings
from kombu.exceptions import OperationalError

from connectmetrics.backoff import backoff_state
from connectmetrics.models import QueueFilter

log = logging.getLogger(__name__)


def poll_now(queue_filter: QueueFilter) -> tuple[bool, str]:
    """(done, what happened in words) for one queue filter."""
    name = f"{queue_filter.name!r} of {queue_filter.instance.name!r}"
    if not (queue_filter.enabled and queue_filter.instance.enabled):
        return False, f"{name} is disabled: enable it (and its instance) to poll it."
    interval = queue_filter.instance.poll_interval
    try:
        backoff_state().clear(queue_filter.pk)
        if settings.EMBEDDED:
            log.info("poll now: rest ended, polling at the next slot %s", name)
            return True, f"{name} will be polled at its next turn, within {interval} s."
        from connectmetrics.tasks import poll_queue_filter_task

        poll_queue_filter_task.apply_async((queue_filter.pk,), expires=interval)
    except (redis.RedisError, OperationalError) as error:
        log.warning("poll now failed %s: %r", name, error)
        return False, f"{name} could not be polled now: Redis does not answer ({error})."
    log.info("poll now: rest ended, poll enqueued %s", name)
    return True, f"{name} is being polled now."
