"""The admin's "Poll now": end a source's rest and poll it without waiting.

Typically after fixing what was failing (a role's permissions, say), when the
rest after "access denied" would otherwise last up to 30 minutes.

- Full topology: the rest is ended and a poll task is enqueued at once; a
  worker runs it like any other poll (the poll lock, the rate governor and
  the task's expiry all apply).
- Embedded mode: the poll must run where embedded polls run, since its update
  is published from the server's event loop (the in-memory channel layer is
  not thread-safe) and an admin request runs on another thread. So the rest is
  ended and the embedded poller polls the source at its next slot, within one
  poll interval.
"""

import logging
from typing import Protocol

import redis
from django.conf import settings
from kombu.exceptions import OperationalError

from connectmetrics.models import ConnectInstance
from connectmetrics.poller.backoff import backoff_state
from connectmetrics.sources.key import SourceKey

log = logging.getLogger(__name__)


class PollableRecord(Protocol):
    """A source's row, of any kind."""

    @property
    def source_key(self) -> SourceKey: ...

    @property
    def name(self) -> str: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def instance(self) -> ConnectInstance: ...


def poll_now(record: PollableRecord) -> tuple[bool, str]:
    """(done, what happened in words) for one source."""
    name = f"{record.name!r} of {record.instance.name!r}"
    if not (record.enabled and record.instance.enabled):
        return False, f"{name} is disabled: enable it (and its instance) to poll it."
    interval = record.instance.poll_interval
    source = record.source_key
    try:
        backoff_state().clear(source)
        if settings.EMBEDDED:
            log.info("poll now: rest ended, polling at the next slot %s", name)
            return True, f"{name} will be polled at its next turn, within {interval} s."
        from connectmetrics.poller.tasks import poll_source_task

        poll_source_task.apply_async((source.kind, source.id), expires=interval)
    except (redis.RedisError, OperationalError) as error:
        log.warning("poll now failed %s: %r", name, error)
        return False, f"{name} could not be polled now: Redis does not answer ({error})."
    log.info("poll now: rest ended, poll enqueued %s", name)
    return True, f"{name} is being polled now."
