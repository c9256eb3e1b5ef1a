"""/healthz: is this deployment serving live numbers?

Healthy means all of:

- the database answers;
- Redis answers (embedded mode has none: "embedded", never a failure);
- the Celery broker answers (the same Redis; "embedded" likewise), and how
  many polls wait in its queue is shown;
- every enabled queue filter of an enabled instance had a good poll within
  max(3 poll intervals, 30 s), and its last poll did not fail with an outcome
  that waits for an administrator (access denied, instance not found, a
  request Amazon Connect refuses). Throttling and outages are ridden out by the
  backoff: they make a filter unhealthy only once its numbers are that old.

200 when healthy, 503 otherwise, with a reason in words for each failure.
`?scope=web` checks only what this web process needs to serve pages and
sockets (database, Redis): for a load balancer, which must not take every web
process out of service because Amazon Connect is throttling.

Anyone may ask, and anyone learns only ok or not: the status code and
{"status": "ok"} or {"status": "error"}. The details (each check, the
instance and queue-filter names, the reasons) go to signed-in staff and to
callers with the METRICS_TOKEN bearer (dashboard/probes.py decides who). Even
those carry no secrets: exception class names, never their messages (which
may carry hosts or account details); outcomes in the product's words, never
AWS's own message. The admin shows those details.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from connectmetrics.client.outcomes import DESCRIPTIONS, Outcome
from connectmetrics.models import QueueFilter
from connectmetrics.poller.polling import NEEDS_ADMIN
from connectmetrics.wire.message_builder import iso

log = logging.getLogger(__name__)

MIN_STALENESS_LIMIT = 30
EMBEDDED = "embedded: no Redis; the web process polls and pushes by itself"


def staleness_limit(poll_interval: int) -> int:
    """Seconds after its last good poll when a queue filter counts as not polling."""
    return max(3 * poll_interval, MIN_STALENESS_LIMIT)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class QueueFilterHealth:
    id: int
    name: str
    instance: str
    ok: bool
    poll_interval: int
    limit_seconds: int
    last_good_poll_age_seconds: float | None
    reason: str = ""


@dataclass(frozen=True)
class Health:
    database: Check
    redis: Check
    broker: Check
    queue_filters: list[QueueFilterHealth] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        checks = (self.database, self.redis, self.broker)
        return all(c.ok for c in checks) and all(f.ok for f in self.queue_filters)

    def reasons(self) -> list[str]:
        reasons = [
            f"{name}: {check.detail}"
            for name, check in (
                ("database", self.database),
                ("redis", self.redis),
                ("broker", self.broker),
            )
            if not check.ok
        ]
        reasons += [
            f"queue filter {f.name!r} of {f.instance!r}: {f.reason}"
            for f in self.queue_filters
            if not f.ok
        ]
        return reasons

    def as_json(self, checked_at: datetime) -> dict[str, Any]:
        return {
            "status": status(self.ok),
            "checked_at": iso(checked_at),
            "mode": "embedded" if settings.EMBEDDED else "redis",
            "database": asdict(self.database),
            "redis": asdict(self.redis),
            "broker": asdict(self.broker),
            "queue_filters": [asdict(f) for f in self.queue_filters],
            "reasons": self.reasons(),
        }


def status(ok: bool) -> str:
    return "ok" if ok else "error"


def _failure(error: Exception) -> str:
    return f"unreachable ({type(error).__name__})"


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        log.warning("health: the database does not answer: %r", error)
        return Check(False, _failure(error))
    return Check(True)


def check_redis() -> Check:
    if settings.EMBEDDED:
        return Check(True, EMBEDDED)
    from dashboard.lib.redis_client import redis_client

    try:
        redis_client().ping()
    except redis.RedisError as error:
        log.warning("health: Redis does not answer: %r", error)
        return Check(False, _failure(error))
    return Check(True)


def check_broker(redis_check: Check) -> Check:
    """The Celery broker, and how many tasks wait in its queue (a backlog means the
    workers are not keeping up, or not running). The settings make it the same Redis
    (CELERY_BROKER_URL = REDIS_URL)."""
    if settings.EMBEDDED:
        return Check(True, EMBEDDED)
    if not redis_check.ok:
        return Check(False, "unreachable (it is the same Redis)")
    from dashboard.celery import app
    from dashboard.lib.redis_client import redis_client

    try:
        waiting = redis_client().llen(app.conf.task_default_queue)
    except redis.RedisError as error:
        log.warning("health: the broker does not answer: %r", error)
        return Check(False, _failure(error))
    return Check(True, f"{waiting} tasks waiting")


def failure_outcome(description: str) -> Outcome | None:
    """The outcome of a failed poll from the words recorded for it
    (UpstreamError.description starts with the outcome's words)."""
    for outcome, words in DESCRIPTIONS.items():
        if description.startswith(words):
            return outcome
    return None


def queue_filter_health(queue_filter: QueueFilter, now: datetime) -> QueueFilterHealth:
    interval = queue_filter.instance.poll_interval
    limit = staleness_limit(interval)
    success = queue_filter.last_success_at
    age = (now - success).total_seconds() if success is not None else None
    outcome = failure_outcome(queue_filter.last_error_message)
    failing = DESCRIPTIONS[outcome] if outcome is not None else "the last poll failed"
    ok, reason = True, ""
    if queue_filter.last_error_message and outcome in NEEDS_ADMIN:
        ok, reason = False, f"{failing}; an administrator needs to check the Connect settings"
    elif age is None:
        ok = False
        reason = failing if queue_filter.last_error_message else "not polled yet"
    elif age > limit:
        ok = False
        reason = f"no good poll for {age:.0f} s (limit {limit} s)"
        if queue_filter.last_error_message:
            reason += f"; {failing}"
    elif queue_filter.last_error_message:
        reason = f"riding out a failed poll: {failing}"
    return QueueFilterHealth(
        id=queue_filter.pk,
        name=queue_filter.name,
        instance=queue_filter.instance.name,
        ok=ok,
        poll_interval=interval,
        limit_seconds=limit,
        last_good_poll_age_seconds=round(age, 1) if age is not None else None,
        reason=reason,
    )


def polled_filters() -> list[QueueFilter]:
    return list(
        QueueFilter.objects.filter(enabled=True, instance__enabled=True)
        .select_related("instance")
        .order_by("instance__name", "name")
    )


def health(*, scope: str = "all", now: datetime | None = None) -> Health:
    moment = now or timezone.now()
    database = check_database()
    redis_check = check_redis()
    if scope == "web":
        return Health(database, redis_check, Check(True, "not checked (scope=web)"))
    broker = check_broker(redis_check)
    filters: list[QueueFilterHealth] = []
    if database.ok:
        try:
            filters = [queue_filter_health(f, moment) for f in polled_filters()]
        except Exception as error:
            log.warning("health: cannot read the queue filters: %r", error)
            database = Check(False, _failure(error))
    return Health(database, redis_check, broker, filters)


def healthz(request: HttpRequest, *, detailed: bool) -> JsonResponse:
    """The answer to /healthz: for `detailed` callers every check and reason, for others
    only whether it is healthy."""
    scope = request.GET.get("scope", "all")
    if scope not in ("all", "web"):
        return JsonResponse(
            {"status": status(False), "reasons": ["scope: must be 'all' or 'web'"]}, status=400
        )
    now = timezone.now()
    report = health(scope=scope, now=now)
    body = report.as_json(now) if detailed else {"status": status(report.ok)}
    response = JsonResponse(body, status=200 if report.ok else 503)
    response["Cache-Control"] = "no-store"
    return response
