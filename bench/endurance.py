"""Endurance: the demo TV over simulated days, on an accelerated clock.

    .venv/bin/python bench/endurance.py [--days 7] [--speed 600] [--period-hours 24]
        [--sample-minutes 30] [--warmup-periods 1] [--rotation-seconds 24]
        [--offline-seconds 8] [--time-zone Europe/London]
        [--start 2026-03-28T20:00:00+00:00]

It runs the real product as `make demo` does with Redis: a private redis-server, the web
server, a Celery worker and beat (bin/web, bin/worker, bin/beat, tests/processes.py) on a
temporary SQLite database seeded by seed_demo, every source polled every real second. All
of them read one data clock (dashboard/lib/clock.py: WALLBOARD_CLOCK_SPEED, _START and
_EPOCH) running `--speed` times faster than real time, so a simulated day passes in
86,400 / speed real seconds: the simulated centre, the polls' stamps, the 60-minute trend
window, alerts and the page's clock all move on it; scheduling and quotas stay real.

The demo TV (every panel kind: tiles, a table, an agent grid and today's figures) is open
in headless Chromium (/usr/bin/chromium) in the centre's time zone (`--time-zone`, the
instance's too), rotating with the demo's second wallboard (today's figures too) after
`--rotation-seconds` real seconds, or once each of its panels has shown all its pages (10 s
a page: the demo wallboard's agents and tiles take about two minutes), whichever is
longer. The default is a sixth of a simulated day (24 s at 600x), so that a wallboard with
few pages is still sampled across each day: what the page holds follows the hour (the
night shift's few dozen agents, the day's few hundred).

At each local midnight the run watches the today panel (the page's state for its source)
until its day starts at that midnight and its contacts queued are fewer than the day
before ended with, for at most ROLLOVER_POLLS of the source's polls (a minute of data time
apart: at 600x, a real second) and ROLLOVER_SLACK seconds; a midnight that does not roll
over fails the verdict. The counts are compared only when both were read within
COMPARABLE_MINUTES of the midnight: a recovery that carried the run hours past it leaves
counts from different times of day.

Every `--sample-minutes` of data time (once the page is live) it samples the page's JS
heap (after a forced garbage collection) and DOM nodes (CDP Performance.getMetrics), the
web and worker processes' RSS, the web process's open sockets and event-loop tasks (its
/metrics), Redis's used_memory, and counts the page's JS errors. The run lasts `--days`
of the centre's local days from the first midnight after the TV is live (the hours before
it are part of the warm-up). Each day, after its midnight, the web server is restarted
(10:00) and the browser's network dropped for `--offline-seconds` (15:00; a
relay between Chromium and the server closes every connection and refuses new ones;
Chromium's offline emulation leaves an open WebSocket alone); each must end with the TV
live again and exactly one socket open.

It prints a line per sample, a table per period (`--period-hours` of data time; each
figure the median of the period's samples, the page's from those on the demo wallboard),
how each source's polls ended (the worker's log), and the verdict: after
`--warmup-periods`, each figure within 10% of its plateau (the median of the later
periods), no JS error, every restart and drop recovered with one socket, every midnight
rolled over. The exit status is 1 when the verdict fails.
"""

import argparse
import contextlib
import json
import math
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import redis
from playwright.sync_api import BrowserContext, CDPSession, ConsoleMessage, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ports import free_port, wait_for_port  # noqa: E402
from connectmetrics.simulator import CONTROL_URL_ENV  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.conftest import RedisServer  # noqa: E402
from tests.processes import Service, Stack  # noqa: E402

PLATEAU_SHARE = 0.10
DEMO_BOARD = "demo"
PAGE_FIGURES = ("heap_mb", "nodes")
# The figures the plateau rule holds to, with their labels.
FIGURES = {
    "heap_mb": "JS heap MB",
    "nodes": "DOM nodes",
    "web_rss_mb": "web RSS MB",
    "worker_rss_mb": "worker RSS MB",
    "loop_tasks": "loop tasks",
    "redis_mb": "Redis MB",
}
# How long the TV may take to be live again after a restart or a drop, in real seconds:
# the page's reconnect backoff is at most 30 s (static/wallboard/connection.js).
RECOVERY_LIMIT = 120.0
# How long a sample waits for the page to be live (a rotation's next document drawing
# its panels has fewer DOM nodes), in real seconds.
SETTLE_LIMIT = 10.0
# How many of the today source's polls after the centre's midnight the TV may take to show
# the new day (a poll every minute of data time: connectmetrics/today/models.py), plus
# the page's own delay, in real seconds.
ROLLOVER_POLLS = 3
ROLLOVER_SLACK = 10.0
# The day before's count and the new day's are compared only when each was read within this
# many data minutes of the midnight.
COMPARABLE_MINUTES = 180.0
# What Chromium logs for a connection the network or a stopped server refused.
NETWORK_ERROR = re.compile(r"net::ERR_|Failed to load resource|WebSocket connection to")

SETUP = """
from django.core.management import call_command
from connectmetrics.models import ConnectInstance, QueueFilter
from dashboard.models import DisplayToken, Layout, Wallboard
call_command("migrate", verbosity=0)
call_command("seed_demo", admin_password="endurance")
ConnectInstance.objects.update(poll_interval=1, time_zone={time_zone!r})
demo = Wallboard.objects.get(slug="demo")
channels = Wallboard.objects.get(slug="demo-channels")
agents = Wallboard.objects.get(slug="agents")
today = Wallboard.objects.get(slug="today").panels.get(today_source__isnull=False).today_source
# Every panel kind on the one TV: tiles (its own two), a table, an agent grid, today's
# figures; today's on both wallboards of the rotation, so each midnight is on screen.
table = channels.panels.get().queue_filter
demo.add_panel(table, layout=Layout.TABLE, columns=list(channels.panels.get().columns))
demo.add_panel(agents.panels.get(agent_source__isnull=False).agent_source)
demo.add_panel(today, title="Today since midnight")
channels.add_panel(today, title="Today since midnight")
print("TODAY", today.source_key)
Wallboard.objects.filter(pk__in=[demo.pk, channels.pk]).update(rotation_seconds={rotation})
shown = set(demo.panels.values_list("queue_filter", flat=True))
QueueFilter.objects.exclude(pk__in=shown).update(enabled=False)
print("TOKEN", DisplayToken.issue(demo, "Endurance TV")[1])
"""


@dataclass
class Sample:
    data_time: datetime
    figures: dict[str, float]
    sockets: int
    errors: int
    # The wallboard the TV showed (the rotation moves it between two).
    board: str


@dataclass
class Recovery:
    what: str
    data_time: datetime
    seconds: float
    sockets: int

    @property
    def ok(self) -> bool:
        return self.seconds <= RECOVERY_LIMIT and self.sockets == 1


@dataclass
class Rollover:
    """A local midnight of the centre, and what the TV's today panel showed after it."""

    midnight: datetime
    # The day's start the panel showed, and its contacts queued, the last time before
    # the midnight and the first time the new day showed (or when the wait ended).
    before: tuple[datetime | None, int | None]
    after: tuple[datetime | None, int | None]
    # Data minutes after the midnight when the new day showed (or the wait ended).
    minutes: float
    # Data minutes before the midnight when `before` was read.
    before_minutes: float = 0.0

    @property
    def comparable(self) -> bool:
        """Whether both counts were read near enough the midnight to compare."""
        return max(self.minutes, self.before_minutes) <= COMPARABLE_MINUTES

    @property
    def ok(self) -> bool:
        day_start, queued = self.after
        _, queued_before = self.before
        restarted = queued is not None and (
            queued_before is None or not self.comparable or queued < queued_before
        )
        return day_start == self.midnight and restarted


@dataclass
class Run:
    """What an endurance run saw, and its verdict."""

    period_hours: float
    warmup_periods: int
    # The figures the plateau rule holds to (the others are printed).
    held: tuple[str, ...] = tuple(FIGURES)
    samples: list[Sample] = field(default_factory=list)
    recoveries: list[Recovery] = field(default_factory=list)
    rollovers: list[Rollover] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    network_errors: int = 0
    start: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Per source, how its polls ended (the worker's log), and its last failure in words.
    polls: dict[str, Counter[str]] = field(default_factory=dict)
    last_failures: dict[str, str] = field(default_factory=dict)

    def periods(self) -> dict[int, dict[str, float]]:
        """Each period's figures by its number (1: the first `period_hours` of the run; a
        period without samples is left out): the median of its samples; the page's (heap,
        nodes) from the samples showing the demo wallboard, every panel kind's (the other
        wallboard of the rotation has one table), unless the period has none."""
        span = timedelta(hours=self.period_hours)
        grouped: dict[int, list[Sample]] = {}
        for sample in self.samples:
            grouped.setdefault(int((sample.data_time - self.start) / span), []).append(sample)
        periods = {}
        for index, samples in sorted(grouped.items()):
            on_demo = [s for s in samples if s.board == DEMO_BOARD] or samples
            periods[index + 1] = {
                name: statistics.median(
                    s.figures[name] for s in (on_demo if name in PAGE_FIGURES else samples)
                )
                for name in FIGURES
            }
        return periods

    def plateau_failures(self) -> list[str]:
        periods = {n: p for n, p in self.periods().items() if n > self.warmup_periods}
        if not periods:
            return ["no period after the warm-up: run longer or shorten --period-hours"]
        failures = []
        for name in self.held:
            label = FIGURES[name]
            plateau = statistics.median(period[name] for period in periods.values())
            for number, value in ((n, period[name]) for n, period in periods.items()):
                if abs(value - plateau) > PLATEAU_SHARE * plateau:
                    failures.append(
                        f"{label}: period {number} {value:.2f}, more than 10% from its "
                        f"plateau {plateau:.2f}"
                    )
        return failures

    def failures(self) -> list[str]:
        found = self.plateau_failures()
        found += [f"JS error: {error}" for error in self.errors]
        found += [
            f"{r.what} at {r.data_time:%Y-%m-%d %H:%M}: live after {r.seconds:.0f} s "
            f"with {r.sockets} sockets"
            for r in self.recoveries
            if not r.ok
        ]
        found += [
            f"midnight {r.midnight:%Y-%m-%d %H:%M} UTC: the today panel showed the day from "
            f"{stamp(r.after[0])} with {r.after[1]} queued {r.minutes:.0f} data minutes "
            f"later (before: from {stamp(r.before[0])} with {r.before[1]} queued)"
            for r in self.rollovers
            if not r.ok
        ]
        return found


def stamp(moment: datetime | None) -> str:
    return "nothing" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


# --- the processes --------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """The resident memory of a process and its children (Celery's pool), in MB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", text, re.M)
        if status.parent.name == str(pid) or (ppid and int(ppid.group(1)) == pid):
            rss = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
            total += int(rss.group(1)) if rss else 0
    return total / 1024


def web_metrics(port: int) -> dict[str, float]:
    """The web process's own gauges from its /metrics (loopback may read it)."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    found = {}
    for name in ("open_sockets", "event_loop_tasks"):
        match = re.search(rf"^\w*{name} (\S+)$", text, re.M)
        found[name] = float(match.group(1)) if match else float("nan")
    return found


class Product:
    """Redis, the web server, a worker and beat, all on one accelerated data clock."""

    def __init__(self, workdir: Path, args: argparse.Namespace) -> None:
        self.redis = RedisServer(workdir)
        self.redis.start()
        self.port = free_port()
        start = datetime.fromisoformat(args.start)
        env = {
            "WALLBOARD_CLOCK_SPEED": str(args.speed),
            "WALLBOARD_CLOCK_START": start.isoformat(),
            "WALLBOARD_CLOCK_EPOCH": repr(time.time()),
            "TIME_ZONE": args.time_zone,
            # As `make demo`: the demo's alert e-mails go to the worker's log. With no mail
            # server each is retried for 20 real minutes (8 attempts) while the fast clock
            # raises alerts every few real seconds: a pile of retries (Celery's unacked
            # tasks, in Redis and in the worker) growing for the run's first 20 real minutes.
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        }
        self.stack = Stack(workdir, redis_url=self.redis.url, env=env)
        # As `make dev` runs: the simulated centre without the tests' control store, whose
        # call log (its last 20,000 calls, about 1 MB in Redis) fills for longer than a run.
        self.stack.env.pop(CONTROL_URL_ENV)
        out = self.stack.shell(
            SETUP.format(rotation=rotation_seconds(args), time_zone=args.time_zone)
        )
        self.token = out.split("TOKEN", 1)[1].split()[0]
        self.today = out.split("TODAY", 1)[1].split()[0]
        self.worker = self.stack.start_worker(timeout=120)
        self.beat = self.stack.start_beat(timeout=120)
        self.web = self.start_web()
        self.relay = Relay(self.port)

    def start_web(self) -> Service:
        web = self.stack.start("web", PORT=str(self.port))
        wait_for_port(self.port, timeout=120)
        return web

    def restart_web(self) -> None:
        self.web.stop(timeout=30)
        self.web = self.start_web()

    def tv_url(self) -> str:
        return f"http://127.0.0.1:{self.relay.port}/wallboards/demo/tv/?token={self.token}"

    def figures(self) -> tuple[dict[str, float], int]:
        gauges = web_metrics(self.port)
        memory = redis.Redis.from_url(self.redis.url).info("memory")
        return (
            {
                "web_rss_mb": rss_mb(self.web.process.pid),
                "worker_rss_mb": rss_mb(self.worker.process.pid),
                "loop_tasks": gauges["event_loop_tasks"],
                "redis_mb": int(memory["used_memory"]) / 1e6,
            },
            int(gauges["open_sockets"]),
        )

    def stop(self) -> None:
        self.stack.stop_all(timeout=30)
        self.redis.stop()


class Relay:
    """The TV's network: a TCP relay between Chromium and the web server that can be cut.

    Cut, it closes every connection it carries and refuses new ones (they are closed at
    once), as a pulled cable or a dead Wi-Fi would; Chromium's own offline emulation
    leaves an open WebSocket alone.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = False
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            if self.cut:
                client.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.open |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(source, target), daemon=True).start()

    def pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        for end in (source, target):
            self.close(end)

    def close(self, end: socket.socket) -> None:
        with self.lock:
            self.open.discard(end)
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()

    @contextmanager
    def dropped(self) -> Iterator[None]:
        self.cut = True
        with self.lock:
            carried = list(self.open)
        for end in carried:
            self.close(end)
        try:
            yield
        finally:
            self.cut = False


# --- the TV ---------------------------------------------------------------------------


class Tv:
    """The demo TV in Chromium: its figures, its JS errors, its network."""

    def __init__(self, context: BrowserContext, url: str) -> None:
        self.page: Page = context.new_page()
        self.context = context
        self.errors: list[str] = []
        # Refused connections while the server restarts or the network is down are expected:
        # counted apart from the page's own errors.
        self.network_errors = 0
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self.console)
        self.page.goto(url)
        self._cdp: CDPSession | None = None

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if NETWORK_ERROR.search(message.text):
            self.network_errors += 1
        else:
            self.errors.append(message.text)

    def cdp(self) -> CDPSession:
        # A rotation loads the next wallboard's page: a session per document.
        if self._cdp is None:
            self._cdp = self.context.new_cdp_session(self.page)
            self._cdp.send("Performance.enable")
        return self._cdp

    def figures(self) -> dict[str, float]:
        for _ in range(3):
            try:
                cdp = self.cdp()
                cdp.send("HeapProfiler.collectGarbage")
                metrics = {
                    m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]
                }
                return {"heap_mb": metrics["JSHeapUsedSize"] / 1e6, "nodes": metrics["Nodes"]}
            except Exception:  # the page was between two documents of the rotation
                self._cdp = None
                self.page.wait_for_timeout(500)
        raise RuntimeError("could not read the page's metrics")

    def today(self, source: str) -> tuple[datetime | None, int | None]:
        """The day's start the today panel shows (UTC) and its total of contacts queued;
        (None, None) when the page has none yet (between two documents of the rotation)."""
        try:
            shown = self.page.evaluate(
                "(source) => { const data = window.wallboardPage && "
                "window.wallboardPage.state.sources[source]; "
                "return data && data.day_start ? "
                "[data.day_start, data.total ? data.total.figures.queued : null] : null; }",
                source,
            )
        except Exception:  # the page was between two documents of the rotation
            return None, None
        if not shown:
            return None, None
        return datetime.fromisoformat(shown[0]).astimezone(UTC), shown[1]

    def document(self) -> float | None:
        """Which document the page shows (its time origin); None between two."""
        try:
            return float(self.page.evaluate("performance.timeOrigin"))
        except Exception:  # the page was between two documents of the rotation
            return None

    def board(self) -> str:
        """The slug of the wallboard on screen (/wallboards/<slug>/tv/)."""
        parts = urlparse(self.page.url).path.strip("/").split("/")
        return parts[1] if len(parts) > 1 else ""

    def state(self) -> str:
        """ "live" when every panel shows live numbers over an open socket, else what it shows."""
        try:
            return str(
                self.page.evaluate(
                    "() => !window.wallboardPage ? `no wallboard page at ${location.href}` : "
                    "!window.wallboardPage.linkUp ? 'socket down' : "
                    "document.body.dataset.freshness === 'live' ? 'live' : "
                    "[...document.querySelectorAll('.panel')].map((panel) => "
                    "`${panel.dataset.source} ${panel.dataset.freshness}: ${"
                    "(panel.querySelector('.stale-banner') || {}).textContent || ''}`).join('; ')"
                )
            )
        except Exception as error:  # the page was between two documents of the rotation
            return f"between pages ({type(error).__name__})"


def wait_live(tv: Tv, product: Product, log: Any = print) -> tuple[float, int]:
    """Real seconds until the TV is live with its socket counted, and the sockets then."""
    started = time.monotonic()
    sockets = -1
    state = ""
    while time.monotonic() - started < RECOVERY_LIMIT:
        state = tv.state()
        if state == "live":
            try:
                sockets = product.figures()[1]
            except OSError:
                sockets = -1
            if sockets >= 1:
                break
        time.sleep(0.5)
    else:
        log(f"  the TV is not live after {RECOVERY_LIMIT:.0f} s: {state}")
    # A second socket left behind would show within a few seconds of the first.
    time.sleep(3)
    return time.monotonic() - started, settled_sockets(tv, product)


def settled_sockets(tv: Tv, product: Product) -> int:
    """The server's open sockets, counted while the TV stays on one live document: the
    rotation's next wallboard closes the socket of the page before and opens its own, so
    a count taken across a rotation says nothing of sockets left behind."""
    sockets = -1
    for _ in range(5):
        document = tv.document()
        sockets = product.figures()[1]
        if document is not None and tv.state() == "live" and tv.document() == document:
            return sockets
        time.sleep(1)
    return sockets


# --- the run --------------------------------------------------------------------------


def rotation_seconds(args: argparse.Namespace) -> int:
    """Real seconds each wallboard of the rotation stays on screen."""
    if args.rotation_seconds is not None:
        return int(args.rotation_seconds)
    return max(5, round(86_400 / args.speed / 6))


def data_now(args: argparse.Namespace, epoch: float) -> datetime:
    start = datetime.fromisoformat(args.start)
    return start + timedelta(seconds=(time.time() - epoch) * args.speed)


def run(args: argparse.Namespace, log: Any = print) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tempfile.mkdtemp(prefix="endurance-")) if args.keep else Path(tmp)
        log(f"processes' logs in {workdir}")
        product = Product(workdir, args)
        epoch = float(product.stack.env["WALLBOARD_CLOCK_EPOCH"])
        result = Run(args.period_hours, args.warmup_periods, tuple(args.hold.split(",")))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                context = browser.new_context(
                    viewport={"width": 1920, "height": 1080}, timezone_id=args.time_zone
                )
                tv = Tv(context, product.tv_url())
                seconds, sockets = wait_live(tv, product, log)
                # The run starts with the TV live (starting the processes took data time).
                result.start = data_now(args, epoch)
                log(f"TV live after {seconds:.0f} s with {sockets} socket(s), at {result.start}")
                drive(args, product, tv, result, epoch, log)
                result.errors = list(tv.errors)
                result.network_errors = tv.network_errors
                browser.close()
        finally:
            product.stop()
            result.polls, result.last_failures = poll_outcomes(workdir)
    return result


# How the worker logs each poll's end (connectmetrics/poller/polling.py), by a word for it.
POLL_ENDS = (
    ("ok", "poll ok "),
    ("failed", "poll failed "),
    ("deferred", "poll deferred "),
    ("busy", "poll skipped: another poll"),
    ("resting", "poll skipped: resting"),
    ("slot taken", "poll skipped: this slot"),
    ("dropped", "poll result dropped"),
)
SOURCE_IN_LOG = re.compile(r" (?:queue_filter|agent_source|today_source)='([^']*)'")


def poll_outcomes(workdir: Path) -> tuple[dict[str, Counter[str]], dict[str, str]]:
    """Per source, how many of its polls ended each way; its last failure's line."""
    polls: dict[str, Counter[str]] = {}
    failures: dict[str, str] = {}
    for path in sorted(workdir.glob("worker-*.log")):
        for line in path.read_text(errors="replace").splitlines():
            source = SOURCE_IN_LOG.search(line)
            end = next((word for word, text in POLL_ENDS if text in line), None)
            if source is None or end is None:
                continue
            polls.setdefault(source[1], Counter())[end] += 1
            if end == "failed":
                failures[source[1]] = line.split("poll failed ", 1)[1]
    return polls, failures


def drive(
    args: argparse.Namespace, product: Product, tv: Tv, result: Run, epoch: float, log: Any
) -> None:
    zone = ZoneInfo(args.time_zone)
    # The run's days are the centre's local days from the first midnight after the TV is
    # live (the hours before it warm up): each starts with its midnight, then its restart
    # (10:00) and its dropped network (15:00). However long starting the processes took, a
    # midnight is never behind a recovery, which at a high speed can last hours of data time.
    first_day = result.start.astimezone(zone).date() + timedelta(days=1)
    end = local_time(first_day + timedelta(days=math.ceil(args.days)), 0, zone)
    midnights = daily(result.start, end, zone, 0)
    restarts = daily(midnights[0], end, zone, 10)
    drops = daily(midnights[0], end, zone, 15)
    step = timedelta(minutes=args.sample_minutes)
    next_sample = result.start + step
    last_day = tv.today(product.today)
    last_day_at = result.start
    while True:
        now = data_now(args, epoch)
        # A recovery can take longer than a day's events are apart at a high speed: every
        # event of the run's days still happens, late, before the run ends.
        over = now >= end
        if over and not (midnights or restarts or drops):
            break
        if midnights and now >= midnights[0]:
            midnight = midnights.pop(0)
            rollover = watch_rollover(args, product, tv, midnight, last_day, epoch)
            rollover.before_minutes = (midnight - last_day_at).total_seconds() / 60
            result.rollovers.append(rollover)
            log(
                f"  {rollover.midnight.astimezone(zone):%a %d %H:%M %Z} midnight: "
                f"{'new day' if rollover.ok else 'NOT ROLLED OVER'} after "
                f"{rollover.minutes:.0f} data min (from {stamp(rollover.after[0])}, "
                f"{rollover.after[1]} queued; before {rollover.before[1]}, "
                f"{rollover.before_minutes:.0f} data min before it)"
            )
            continue
        if midnights and now >= midnights[0] - step:
            # The last sample's time before the midnight: what the day showed at its end.
            last_day, last_day_at = day_before(
                tv.today(product.today), now, midnights, (last_day, last_day_at)
            )
        if restarts and now >= restarts[0]:
            restarts.pop(0)
            product.restart_web()
            seconds, sockets = wait_live(tv, product, log)
            result.recoveries.append(Recovery("server restart", now, seconds, sockets))
            log(
                f"  {now.astimezone(zone):%a %d %H:%M} restart: live after {seconds:.0f} s, "
                f"{sockets} socket(s)"
            )
            continue
        if drops and now >= drops[0]:
            drops.pop(0)
            with product.relay.dropped():
                time.sleep(args.offline_seconds)
                down = tv.state()
            log(f"  the TV at the end of the drop: {down}")
            seconds, sockets = wait_live(tv, product, log)
            result.recoveries.append(Recovery("network drop", now, seconds, sockets))
            log(
                f"  {now.astimezone(zone):%a %d %H:%M} network drop {args.offline_seconds} s: "
                f"live after {seconds:.0f} s, {sockets} socket(s)"
            )
            continue
        if not over and now >= next_sample:
            next_sample = now + step
            # The page as it stays, not a document of the rotation still drawing its panels.
            settle = time.monotonic() + SETTLE_LIMIT
            while tv.state() != "live" and time.monotonic() < settle:
                time.sleep(0.2)
            figures, sockets = product.figures()
            sample = Sample(now, {**tv.figures(), **figures}, sockets, len(tv.errors), tv.board())
            result.samples.append(sample)
            # What the day showed last, should a recovery carry the run past a midnight.
            last_day, last_day_at = day_before(
                tv.today(product.today), now, midnights, (last_day, last_day_at)
            )
            log(sample_line(sample, zone))
            continue
        time.sleep(0.2)


def day_before(
    shown: tuple[datetime | None, int | None],
    now: datetime,
    midnights: list[datetime],
    last: tuple[tuple[datetime | None, int | None], datetime],
) -> tuple[tuple[datetime | None, int | None], datetime]:
    """What the today panel shows and when (`now`), if it is still the day before the next
    midnight (the data clock runs on while a sample waits for the page), else what it
    showed last and when."""
    day_start = shown[0]
    if day_start is None or (midnights and day_start >= midnights[0]):
        return last
    return shown, now


def watch_rollover(
    args: argparse.Namespace,
    product: Product,
    tv: Tv,
    midnight: datetime,
    before: tuple[datetime | None, int | None],
    epoch: float,
) -> Rollover:
    """Watch the today panel after a local midnight until it shows the new day, or until
    ROLLOVER_POLLS of the source's polls (and the slack) have passed."""
    # The source's poll interval in real seconds (least_poll_interval, at the instance's 1 s).
    real_poll = max(1.0, math.ceil(60 / args.speed))
    limit = time.monotonic() + ROLLOVER_POLLS * real_poll + ROLLOVER_SLACK
    shown: tuple[datetime | None, int | None] = (None, None)
    while True:
        shown = tv.today(product.today)
        attempt = Rollover(midnight, before, shown, 0.0)
        if attempt.ok or time.monotonic() >= limit:
            break
        time.sleep(0.2)
    minutes = (data_now(args, epoch) - midnight).total_seconds() / 60
    return Rollover(midnight, before, shown, minutes)


def local_time(day: date, hour: int, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone)


def daily(start: datetime, end: datetime, zone: ZoneInfo, hour: int) -> list[datetime]:
    """The moments at `hour`, centre time, after `start` and before `end`."""
    day = start.astimezone(zone).date()
    moments: list[datetime] = []
    while True:
        moment = local_time(day, hour, zone)
        if moment >= end:
            return moments
        if moment > start:
            moments.append(moment)
        day += timedelta(days=1)


def sample_line(sample: Sample, zone: ZoneInfo) -> str:
    figures = "  ".join(f"{sample.figures[name]:9.2f}" for name in FIGURES)
    return (
        f"  {sample.data_time.astimezone(zone):%a %d %H:%M %Z}  {figures}"
        f"  sockets {sample.sockets}  errors {sample.errors}  {sample.board}"
    )


def report(args: argparse.Namespace, result: Run, log: Any = print) -> bool:
    log()
    log(
        f"{args.days} simulated day(s) at {args.speed}x ({86400 / args.speed:.0f} s a day), "
        f"centre time zone {args.time_zone}, from {args.start}"
    )
    log(f"{'period':>8}" + "".join(f"{label:>15}" for label in FIGURES.values()))
    for number, period in result.periods().items():
        warm = " (warm-up)" if number <= args.warmup_periods else ""
        log(f"{number:>8}" + "".join(f"{period[name]:>15.2f}" for name in FIGURES) + warm)
    for recovery in result.recoveries:
        log(
            f"{recovery.what:>15} at {recovery.data_time:%Y-%m-%d %H:%M} UTC: live after "
            f"{recovery.seconds:.0f} s, {recovery.sockets} socket(s)"
        )
    for rollover in result.rollovers:
        log(
            f"midnight {rollover.midnight.astimezone(ZoneInfo(args.time_zone)):%Y-%m-%d %H:%M %Z}: "
            + ("new day" if rollover.ok else "NOT ROLLED OVER")
            + f" {rollover.minutes:.0f} data min after it, from {stamp(rollover.after[0])} with "
            f"{rollover.after[1]} queued (the day before ended with {rollover.before[1]}"
            + ("" if rollover.comparable else ", not compared: read too far from the midnight")
            + ")"
        )
    for source, ends in sorted(result.polls.items()):
        log(f"polls of {source}: " + ", ".join(f"{word} {n}" for word, n in ends.most_common()))
        if source in result.last_failures:
            log(f"  last failure: {result.last_failures[source]}")
    failures = result.failures()
    log(
        f"JS errors: {len(result.errors)} (and {result.network_errors} refused connections "
        "while the server restarted or the network was down)"
    )
    log(
        "verdict: "
        + (
            "PLATEAU (every figure within 10% after warm-up, every midnight rolled over)"
            if not failures
            else "FAIL"
        )
    )
    for failure in failures:
        log(f"  {failure}")
    return not failures


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    found.add_argument("--days", type=float, default=7)
    found.add_argument("--speed", type=float, default=600, help="data seconds per real second")
    found.add_argument("--period-hours", type=float, default=24)
    found.add_argument("--sample-minutes", type=float, default=30)
    found.add_argument("--warmup-periods", type=int, default=1)
    found.add_argument(
        "--rotation-seconds", type=int, help="default: a sixth of a simulated day, at least 5"
    )
    found.add_argument("--offline-seconds", type=float, default=8)
    found.add_argument("--time-zone", default="Europe/London")
    # Saturday evening before Europe's clocks go forward (29 March 2026, 01:00 UTC).
    found.add_argument("--start", default="2026-03-28T20:00:00+00:00")
    found.add_argument(
        "--hold",
        default=",".join(FIGURES),
        help=f"the figures the plateau rule holds to, of {','.join(FIGURES)}",
    )
    found.add_argument("--keep", action="store_true", help="keep the processes' logs")
    found.add_argument("--json", type=Path, help="also write the samples here")
    return found


def main() -> None:
    found = parser()
    args = found.parse_args()
    unknown = set(args.hold.split(",")) - set(FIGURES)
    if unknown:
        found.error(f"--hold names figures it does not know: {', '.join(sorted(unknown))}")
    result = run(args)
    ok = report(args, result)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {"data_time": s.data_time.isoformat(), **s.figures, "sockets": s.sockets}
                    for s in result.samples
                ],
                indent=1,
            )
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
