"""One alert, once, with real processes: two Celery workers and two beats on a private Redis
send one raise and one clear; a worker killed after deciding and before sending loses
nothing and doubles nothing. The breach is made and ended as an admin would, by editing a
threshold of the demo's "All queues" filter (read afresh at every poll)."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.alerts_support import Receiver
from tests.conftest import RedisServer
from tests.processes import Stack, seed_demo

pytest_plugins = ["tests.alerts_support"]

SETUP = """
from connectmetrics.alerts.models import AlertRule, Destination
from connectmetrics.models import QueueFilter, Threshold
AlertRule.objects.update(enabled=False)  # the demo's e-mail rule
queue_filter = QueueFilter.objects.get(name="All queues")
queue = queue_filter.queues.order_by("name").first()
# Lower is worse and no queue has 10,000 agents online: its row is critical at once.
threshold = Threshold.objects.create(queue_filter=queue_filter, metric="AGENTS_ONLINE",
    queue=queue, warning=10000, critical=9999, direction="lower_is_worse")
hook = Destination.objects.create(name="Receiver", kind="webhook", url="{url}")
rule = AlertRule.objects.create(name="Staffing", threshold=threshold, raise_after=2,
    clear_after=2)
rule.destinations.add(hook)
print(threshold.pk)
"""
# Back to a band no value reaches: the row recovers.
END_BREACH = (
    "from connectmetrics.models import Threshold; "
    "Threshold.objects.filter(pk={pk}).update(warning=-1, critical=-2)"
)
STATE = """
import json
from connectmetrics.alerts.models import AlertEvent, Delivery
print(json.dumps({"events": list(AlertEvent.objects.order_by("pk").values_list("kind", flat=True)),
    "deliveries": list(Delivery.objects.values_list("status", flat=True))}))
"""
ENV = {"ALERT_SWEEP_SECONDS": "1", "ALERT_SWEEP_GRACE_SECONDS": "2", "CELERY_CONCURRENCY": "1"}


@pytest.fixture
def stack(redis_server: RedisServer, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path, redis_url=redis_server.fresh(), env=ENV)
    yield running
    running.stop_all()


def set_up(stack: Stack, receiver: Receiver) -> int:
    seed_demo(stack, interval=1)
    return int(stack.shell(SETUP.format(url=receiver.url)).split()[-1])


def state(stack: Stack) -> dict[str, list[str]]:
    return json.loads(stack.shell(STATE).splitlines()[-1])  # type: ignore[no-any-return]


def kinds(receiver: Receiver) -> list[str]:
    return [r.json()["kind"] for r in receiver.received]


@pytest.mark.e2e
def test_two_workers_and_two_beats_send_one_raise_and_one_clear(
    stack: Stack, receiver: Receiver
) -> None:
    threshold = set_up(stack, receiver)
    services = [stack.start("worker"), stack.start("worker"), stack.start("beat")]
    services.append(stack.start("beat"))
    for service in services:
        service.wait_ready()
    receiver.wait_for(1, within=30)
    time.sleep(4)  # polls go on breaching: no second raise, no repeat
    assert kinds(receiver) == ["raised"]
    stack.shell(END_BREACH.format(pk=threshold))
    receiver.wait_for(2, within=30)
    time.sleep(4)
    assert kinds(receiver) == ["raised", "cleared"]
    assert state(stack) == {"events": ["raised", "cleared"], "deliveries": ["sent", "sent"]}


@pytest.mark.e2e
def test_a_worker_killed_between_deciding_and_sending_loses_and_doubles_nothing(
    stack: Stack, receiver: Receiver
) -> None:
    set_up(stack, receiver)
    # This worker polls and decides, but runs no alert messages: killed once it has decided.
    decider = stack.start("worker", CELERY_QUEUES="celery")
    stack.start("beat")
    for service in stack.services:
        service.wait_ready()
    deadline = time.monotonic() + 30
    while "raised" not in state(stack)["events"] and time.monotonic() < deadline:
        time.sleep(0.5)
    decider.kill()
    assert state(stack) == {"events": ["raised"], "deliveries": ["pending"]}
    time.sleep(3)  # past the sweep's grace: beat has queued the delivery again meanwhile
    assert receiver.received == []
    # A worker comes back: the queued task and the sweep's copies send it exactly once.
    stack.start_worker()
    receiver.wait_for(1, within=30)
    time.sleep(4)
    assert kinds(receiver) == ["raised"]
    assert state(stack)["deliveries"] == ["sent"]


@pytest.mark.e2e
def test_a_redis_outage_after_deciding_loses_and_doubles_nothing(
    stack: Stack, receiver: Receiver, redis_server: RedisServer
) -> None:
    set_up(stack, receiver)
    decider = stack.start("worker", CELERY_QUEUES="celery")
    stack.start("beat")
    for service in stack.services:
        service.wait_ready()
    deadline = time.monotonic() + 30
    while "raised" not in state(stack)["events"] and time.monotonic() < deadline:
        time.sleep(0.5)
    decider.kill()
    # Redis restarts empty (no persistence): the queued message task is gone with it.
    redis_server.stop()
    time.sleep(2)
    redis_server.start()
    assert redis.Redis.from_url(redis_server.url).llen("alerts") == 0
    assert state(stack)["deliveries"] == ["pending"]
    stack.start_worker()
    receiver.wait_for(1, within=30)
    time.sleep(4)
    assert kinds(receiver) == ["raised"]
    assert state(stack)["deliveries"] == ["sent"]
