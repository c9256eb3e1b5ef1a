"""Helpers for the alert tests: a rule on a threshold, rows as a poll makes them, a real
HTTP receiver and a real SMTP server on loopback."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bench.ports import free_port
from connectmetrics.alerts import courier as courier_module
from connectmetrics.alerts.models import AlertRule, Destination
from connectmetrics.models import ConnectInstance, Queue, QueueFilter, Threshold


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on loopback: records every POST, answers `status` (or, when
    `hang` is set, holds the request without answering)."""

    port: int = field(default_factory=free_port)
    status: int = 200
    hang: threading.Event | None = None
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def wait_for(self, count: int, within: float = 10) -> list[Received]:
        deadline = time.monotonic() + within
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.received)

    def serve(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(self.path, dict(self.headers), body))
                if receiver.hang is not None:
                    receiver.hang.wait(30)
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"server error")

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture(autouse=True)
def own_courier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own embedded courier, stopped after it and before the test's
    database is emptied (its threads use that database)."""
    if request.node.get_closest_marker("django_db") is not None:
        request.getfixturevalue("_django_db_helper")
    couriers: dict[bool, Any] = {}
    monkeypatch.setattr(courier_module, "_couriers", couriers)
    yield
    for made in couriers.values():
        if isinstance(made, courier_module.ThreadCourier):
            made.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    server = found.serve()
    yield found
    if found.hang is not None:
        found.hang.set()
    server.shutdown()
    server.server_close()


@dataclass
class Mails:
    messages: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Mails]]:
    mails = Mails()
    controller = Controller(mails, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, mails
    controller.stop()


def centre() -> tuple[QueueFilter, Queue, Queue]:
    """A queue filter by queue over two queues, Billing and VIP (no Connect calls)."""
    instance = ConnectInstance.objects.create(
        name="Centre", instance_id="00000000-0000-4000-8000-00000000000a", access_mode="simulated"
    )
    billing = Queue.objects.create(instance=instance, queue_id="q-billing", name="Billing")
    vip = Queue.objects.create(instance=instance, queue_id="q-vip", name="VIP")
    queue_filter = QueueFilter.objects.create(
        name="All", instance=instance, metrics=["CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE"]
    )
    queue_filter.queues.set([billing, vip])
    return queue_filter, billing, vip


def rule_on(
    queue_filter: QueueFilter,
    *,
    destinations: tuple[Destination, ...] = (),
    queue: Queue | None = None,
    **options: Any,
) -> AlertRule:
    threshold = Threshold.objects.create(
        queue_filter=queue_filter,
        metric="OLDEST_CONTACT_AGE",
        queue=queue,
        warning=60,
        critical=180,
    )
    rule = AlertRule.objects.create(
        name=f"Oldest contact {threshold.pk}", threshold=threshold, **options
    )
    rule.destinations.set(destinations)
    return rule


def row(
    queue: Queue, value: float | None, *, levels: dict[str, str] | None = None
) -> dict[str, Any]:
    """A row as the poll's message has it, its level by the every-row band 60/180."""
    level = "ok" if value is None or value < 60 else "warning" if value < 180 else "critical"
    return {
        "key": queue.queue_id,
        "label": queue.name,
        "dimensions": {"QUEUE": {"id": queue.queue_id, "arn": "", "name": queue.name}},
        "values": {"OLDEST_CONTACT_AGE": value},
        "levels": levels if levels is not None else {"OLDEST_CONTACT_AGE": level},
    }


def feed(
    evaluate: Callable[[int, list[dict[str, Any]], datetime], int],
    queue_filter: QueueFilter,
    start: datetime,
    values: list[float | None],
    queue: Queue,
    *,
    every: float = 5,
) -> datetime:
    """One poll every `every` seconds from `start`, one value each; the last poll's time."""
    from datetime import timedelta

    at = start
    for n, value in enumerate(values):
        at = start + timedelta(seconds=n * every)
        evaluate(queue_filter.pk, [row(queue, value)], at)
    return at
