"""Tools for the fault tests (tests/chaos/, tests/e2e/test_fault_*.py): real processes,
screens that keep what they were sent, the page's reconnecting client, the page's stale
rule, and arithmetic over the simulated centre's call log.

What a test asserts is what a user would see: the messages a screen receives (status,
reason, seq, data_snapshot_time), the HTTP answers, the admin's pages and the calls that
reached the (simulated) AWS account.
"""

import asyncio
import contextlib
import http.cookiejar
import json
import random
import re
import resource
import time
import urllib.error
import urllib.parse
import urllib.request
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Origin

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.simulator import call_log
from connectmetrics.wire import socket_messages
from connectmetrics.wire.socket_messages import Snapshot, Update
from tests.conftest import free_port
from tests.processes import Service, Stack, seed_demo
from tests.socket_rule import apply_update

GET_METRICS = "GetCurrentMetricData"
ADMIN_PASSWORD = "end-to-end"  # what tests/processes.py seeds the demo's admin with
# The page's stale rule (static/wallboard/freshness.js): data older than two poll
# intervals plus this margin is not live, whatever its status says.
STALE_MARGIN_SECONDS = 5.0
# The page's reconnect rule (static/wallboard/connection.js).
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
REFUSAL_CODES = frozenset({4001, 4003, 4004})
# The account's quota for GetCurrentMetricData (settings.CONNECT_RATE_*).
QUOTA_RATE = 5.0
QUOTA_BURST = 8


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "chaos"


def record(name: str, **figures: Any) -> None:
    """Keep what a fault test measured (test-artifacts/chaos/<name>.json, and the test's
    output): the figures docs/reliability.md quotes."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(f"{name}: {json.dumps(figures, default=str)}")


# --- the stack ---------------------------------------------------------------------------


@dataclass
class Topology:
    """A running product: web, Celery workers and beat on a Redis (or embedded: web only)."""

    stack: Stack
    web: Service
    workers: list[Service]
    beats: list[Service]
    tv_token: str
    redis_url: str | None
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def socket_url(self, slug: str = "demo", token: str | None = None) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/wallboards/{slug}/?token={token or self.tv_token}"

    def restart_web(self, **env: str) -> Service:
        """Stop the web server (SIGTERM: uvicorn closes every socket) and start it again on
        the same port, as a deploy or a crash-and-restart would."""
        self.web.stop()
        self.web = start_web_on(self.stack, self.port, **env)
        return self.web

    def discard(self) -> None:
        """The test is over: SIGKILL every process (a clean stop is no part of it, and costs
        seconds a test at a time)."""
        for service in self.stack.services:
            service.kill()

    def service_of(self, pid: int) -> Service:
        """The worker whose process group holds `pid` (a Celery pool process)."""
        group = _process_group(pid)
        for service in self.workers:
            if service.process.pid in (pid, group):
                return service
        raise LookupError(f"no worker of this stack runs pid {pid}")

    def shell_json(self, code: str) -> Any:
        """Run Django `code` on the stack's database; it prints one JSON value last."""
        return json.loads(self.stack.shell(code).strip().splitlines()[-1])


def _process_group(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The fields after the command name's closing parenthesis: state, ppid, pgrp, ...
    return int(stat.rsplit(")", 1)[1].split()[2])


def start_web_on(stack: Stack, port: int, **env: str) -> Service:
    web = stack.start("web", PORT=str(port), **env)
    web.port = port
    return web.wait_ready(30)


def raise_open_files_limit() -> int:
    """Raise this process's open-files limit to its hard limit (inherited by the servers it
    starts); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def start_topology(
    workdir: Path,
    *,
    redis_url: str | None,
    interval: int,
    workers: int = 1,
    beat: bool = True,
    env: dict[str, str] | None = None,
    setup: str = "",
) -> Topology:
    """Seed the demo (its "All queues" filter polled every `interval` s), run `setup`
    (Django code) and start the processes: `workers` Celery workers and a beat on Redis,
    then the web server. Embedded (redis_url None): the web server alone polls."""
    stack = Stack(workdir, redis_url=redis_url, env=env)
    token = seed_demo(stack, interval=interval)
    if setup:
        stack.shell(setup)
    started = []
    if redis_url:
        started = [stack.start("worker") for _ in range(workers)]
        if beat:
            started.append(stack.start("beat"))
    try:
        for service in started:
            service.wait_ready(60)
        port = free_port()
        web = start_web_on(stack, port)
    except BaseException:
        stack.stop_all()
        raise
    return Topology(
        stack=stack,
        web=web,
        workers=[s for s in started if s.script == "worker"],
        beats=[s for s in started if s.script == "beat"],
        tv_token=token,
        redis_url=redis_url,
        port=port,
    )


def simulated_board(
    *,
    name: str,
    instance_id: str,
    slug: str,
    interval: int,
    queues: int = 20,
    enabled: bool = True,
) -> str:
    """Django code making another simulated instance (its own InstanceId, so its own faults
    and call counts at the simulator), a filter on all its queues (polled only if
    `enabled`) and a wallboard; prints {"filter": id, "instance": id, "token": token}."""
    return f"""
import json
from connectmetrics.discovery import discover
from connectmetrics.models import ConnectInstance, QueueFilter
from dashboard.models import DisplayToken, Wallboard
instance = ConnectInstance.objects.create(
    name={name!r}, region="eu-west-2", instance_id={instance_id!r}, access_mode="simulated",
    simulator_seed=11, simulator_queues={queues}, simulator_agents=60, poll_interval={interval})
discover(instance)
demo = QueueFilter.objects.get(name="All queues")
queue_filter = QueueFilter.objects.create(
    name={name!r} + " queues", instance=instance, channels=demo.channels,
    primary_grouping="QUEUE", metrics=demo.metrics, enabled={enabled!r})
queue_filter.queues.set(instance.queues.filter(queue_type="STANDARD"))
board = Wallboard.objects.create(slug={slug!r}, title={name!r})
board.add_panel(queue_filter, columns=demo.metrics[:4])
_, raw = DisplayToken.issue(board, "chaos TV")
print(json.dumps({{"filter": queue_filter.pk, "instance": instance.pk, "token": raw}}))
"""


def rss_bytes(pid: int) -> int:
    """Resident memory of a process."""
    match = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    if match is None:
        raise RuntimeError(f"no VmRSS for pid {pid}")
    return int(match.group(1)) * 1024


def logged_errors(service: Service) -> list[str]:
    """The ERROR and CRITICAL lines a process logged (one line per event, tracebacks
    folded in: dashboard/settings.py LOGGING)."""
    return [
        line
        for line in service.logs().splitlines()
        if re.match(r"\S+ \S+ (ERROR|CRITICAL) ", line) or "Traceback (most recent call" in line
    ]


# --- what a screen sees ------------------------------------------------------------------


def epoch(text: str | None) -> float | None:
    """Seconds since the epoch of one of the messages' ISO 8601 times (None stays None)."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def stale_bound(poll_interval: float | None) -> float:
    return 2 * (poll_interval or 5) + STALE_MARGIN_SECONDS


def data_time(message: dict[str, Any]) -> float | None:
    """When the numbers a message shows were true (freshness.js dataTimeOf)."""
    return epoch(message.get("data_snapshot_time")) or epoch(message.get("fetched_at"))


def looks_live(message: dict[str, Any], server_now: float) -> bool:
    """Whether the page shows a snapshot or update as live numbers at `server_now` (epoch
    seconds): the rule of static/wallboard/freshness.js with the link up."""
    if message.get("status") != "ok":
        return False
    shown = data_time(message)
    return shown is not None and server_now - shown <= stale_bound(message.get("poll_interval"))


@dataclass
class Received:
    at: float  # epoch seconds on arrival
    message: dict[str, Any]
    size: int = 0  # characters of the frame
    # For a snapshot or update: all the numbers as of it, as a snapshot carries them
    # (an update carries only what changed; tests/socket_rule.py adds it up).
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.message.get("type"))


class Screen:
    """One wallboard socket that keeps every message it is sent, with its arrival time."""

    def __init__(self, url: str, origin: str) -> None:
        self.url = url
        self.origin = origin
        self.received: list[Received] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()
        self._state: Snapshot | None = None

    async def __aenter__(self) -> "Screen":
        self._socket = await connect(self.url, origin=Origin(self.origin), max_size=None)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    @property
    def open(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def _read(self) -> None:
        assert self._socket is not None
        try:
            async for text in self._socket:
                at = time.time()
                self.received.append(Received(at, json.loads(text), len(text), self._add_up(text)))
                self._arrived.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self._socket.close_code
            self.close_reason = self._socket.close_reason or ""
            self._arrived.set()

    def of_type(self, *kinds: str) -> list[Received]:
        return [r for r in self.received if r.kind in kinds]

    def _add_up(self, text: str | bytes) -> dict[str, Any]:
        message = socket_messages.decode(text)
        if isinstance(message, Snapshot):
            self._state = message
        elif isinstance(message, Update) and self._state is not None:
            self._state = apply_update(self._state, message)
        else:
            return {}
        state: dict[str, Any] = msgspec.to_builtins(self._state)
        return state

    async def wait_for(
        self, check: Callable[[Received], bool], within: float, after: int = 0
    ) -> Received:
        """The first message from index `after` on that passes `check`, within `within` s."""
        deadline = time.monotonic() + within
        seen = after
        while True:
            for received in self.received[seen:]:
                if check(received):
                    return received
            seen = max(seen, len(self.received))
            if not self.open:
                raise AssertionError(f"socket closed ({self.close_code} {self.close_reason})")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no such message within {within} s")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)


def is_update(received: Received) -> bool:
    return received.kind == "update"


def backoff_delay(attempt: int, rng: random.Random) -> float:
    """connection.js backoffDelay: full jitter over min(30 s, 1 s x 2^attempt)."""
    return rng.random() * min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)


@dataclass
class ReconnectingScreen:
    """The page's connection (static/wallboard/connection.js) in Python: reconnects forever
    with exponential backoff and full jitter, the attempt count reset by any message, and
    stops for good on the refusals 4001, 4003 and 4004. It keeps only what the tests
    measure: when it tried, when each snapshot arrived, and the newest seq."""

    url: str
    origin: str
    rng: random.Random = field(default_factory=random.Random)
    attempts: list[float] = field(default_factory=list)  # epoch seconds of each try
    snapshots: list[float] = field(default_factory=list)  # epoch seconds of each snapshot
    updates: list[tuple[float, int, str]] = field(default_factory=list)  # (at, seq, status)
    refused: int | None = None
    open_timeout: float = 20.0
    _attempt: int = 0

    @property
    def latest_seq(self) -> int:
        return self.updates[-1][1] if self.updates else 0

    async def run(self) -> None:
        while self.refused is None:
            self.attempts.append(time.time())
            with contextlib.suppress(OSError, InvalidHandshake, TimeoutError, ConnectionClosed):
                await self._session()
            if self.refused is not None:
                return
            await asyncio.sleep(backoff_delay(self._attempt, self.rng))
            self._attempt += 1

    async def _session(self) -> None:
        async with connect(
            self.url,
            origin=Origin(self.origin),
            open_timeout=self.open_timeout,
            max_size=None,
        ) as socket:
            try:
                async for text in socket:
                    self._attempt = 0
                    self._take(text)
            finally:
                if socket.close_code in REFUSAL_CODES:
                    self.refused = socket.close_code

    def _take(self, text: str | bytes) -> None:
        # Only the head is needed: type, then seq and status in the snapshot's field order.
        message = json.loads(text)
        now = time.time()
        if message["type"] == "snapshot":
            self.snapshots.append(now)
        if message["type"] in ("snapshot", "update"):
            self.updates.append((now, int(message["seq"]), str(message["status"])))


# --- the account's quota, counted at the simulator -----------------------------------------


def upstream_call_times(redis_url: str, instance_id: str = SIMULATED_INSTANCE_ID) -> list[float]:
    """When each GetCurrentMetricData call reached the simulated account (epoch seconds)."""
    return sorted(c.at for c in call_log(redis_url, instance_id) if c.operation == GET_METRICS)


def busiest(times: Sequence[float], width: float) -> int:
    """The most calls in any window of `width` seconds (windows start at a call)."""
    ordered = sorted(times)
    return max(
        (bisect_left(ordered, t + width) - i for i, t in enumerate(ordered)),
        default=0,
    )


def quota_breaches(
    times: Sequence[float], widths: Sequence[float] = (0.5, 1, 2, 5, 10, 30)
) -> list[tuple[float, int, float]]:
    """(width, calls, allowed) for every window width in which more calls reached the
    account than its token bucket (5 per second, burst 8) lets through: burst + rate x width."""
    breaches = []
    for width in widths:
        allowed = QUOTA_BURST + QUOTA_RATE * width
        calls = busiest(times, width)
        if calls > allowed:
            breaches.append((width, calls, allowed))
    return breaches


def refused_by_the_account(times: Sequence[float]) -> list[float]:
    """The calls the account's own token bucket (AWS's: 5 a second, burst 8, full at the
    start) would have throttled, had they arrived when they did."""
    tokens, last, refused = float(QUOTA_BURST), None, []
    for t in sorted(times):
        if last is not None:
            tokens = min(QUOTA_BURST, tokens + (t - last) * QUOTA_RATE)
        last = t
        if tokens < 1 - 1e-9:
            refused.append(t)
        else:
            tokens -= 1
    return refused


# --- HTTP --------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    opener: urllib.request.OpenerDirector | None = None,
    timeout: float = 30,
) -> Answer:
    """One HTTP request; any status is an answer (no exception for 4xx/5xx, no redirects)."""
    prepared = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    open_url = (opener or _no_redirects).open
    try:
        with open_url(prepared, timeout=timeout) as response:
            return Answer(response.status, _lower(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, _lower(error.headers.items()), error.read())


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_no_redirects = urllib.request.build_opener(_NoRedirect)


def post_metrics(
    base_url: str, token: str, body: dict[str, Any], instance_id: str = SIMULATED_INSTANCE_ID
) -> Answer:
    return request(
        f"{base_url}/metrics/current/{instance_id}",
        method="POST",
        body=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def signed_in(
    base_url: str,
    username: str = "admin",
    password: str = ADMIN_PASSWORD,
    *,
    login_path: str = "/admin/login/",
    jar: http.cookiejar.CookieJar | None = None,
) -> urllib.request.OpenerDirector:
    """An HTTP client signed in (the admin's login page by default; cookies kept in `jar`,
    redirects not followed). Raises when the login is refused."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar if jar is not None else http.cookiejar.CookieJar()),
        _NoRedirect,
    )
    page = request(f"{base_url}{login_path}", opener=opener).body.decode()
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf_token(page),
            "username": username,
            "password": password,
        }
    ).encode()
    answer = request(f"{base_url}{login_path}", method="POST", body=form, opener=opener)
    if answer.status != 302:
        raise PermissionError(f"login of {username!r} refused ({answer.status})")
    return opener


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("the page has no CSRF token")
    return match.group(1)


def post_form(
    url: str, fields: dict[str, str], opener: urllib.request.OpenerDirector, referer: str = ""
) -> Answer:
    """Submit a form of the page at `referer` (default: `url`) with its CSRF token."""
    page = request(referer or url, opener=opener).body.decode()
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf_token(page), **fields}).encode()
    return request(url, method="POST", body=form, opener=opener)


@dataclass
class SocketOutcome:
    """What a socket was told before the server closed it (or before we stopped waiting)."""

    kinds: list[str]
    close_code: int | None
    close_reason: str
    handshake_status: int | None = None  # the HTTP status of a refused handshake


async def socket_outcome(
    url: str,
    origin: str | None,
    *,
    headers: dict[str, str] | None = None,
    within: float = 5,
    until: str = "snapshot",
    local_addr: tuple[str, int] | None = None,
) -> SocketOutcome:
    """Open a wallboard socket (from `local_addr`, if given) and read until the server
    closes it, a message of the kind `until` arrives (then we close it), or `within` passes."""
    kinds: list[str] = []
    try:
        async with connect(
            url,
            origin=Origin(origin) if origin is not None else None,
            additional_headers=headers,
            max_size=None,
            local_addr=local_addr,
        ) as socket:
            with contextlib.suppress(TimeoutError, ConnectionClosed):
                async with asyncio.timeout(within):
                    async for text in socket:
                        kinds.append(json.loads(text)["type"])
                        if kinds[-1] == until:
                            break
            return SocketOutcome(kinds, socket.close_code, socket.close_reason or "")
    except InvalidStatus as refused:
        return SocketOutcome([], None, "", refused.response.status_code)
