"""TV endurance: a wallboard page fed 10 updates a second, 10,000 times.

    .venv/bin/python bench/tv_endurance.py [--updates 10000] [--rate 10] [--queues 100]
        [--view tv|supervisor] [--width 1920] [--height 1080]

It starts the real server (uvicorn, embedded mode with its poller off, on a
temporary SQLite database holding one wallboard and a display token) and
opens the page in headless Chromium. The wallboard socket is replaced with
Playwright's page.route_web_socket: the page runs the server's real HTML, CSS
and JS, but its messages come from this script (bench/wallboard_messages.py),
realistic in shape and far faster than any real poll, with every row's
numbers changing and trend points moving through the 60-minute window.

It prints the JS heap (after a forced garbage collection) and the DOM node
count at the start and at the end, and the p50/p99/max time the page took to
render an update, with the share of renders longer than one 60 Hz frame, and
the same for the frames after an update that write the rows out of sight
(static/wallboard/queue-table.js defers them so an update's frame holds only
the rows on screen).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, WebSocketRoute, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wallboard_messages import SyntheticCentre, wallboard_message  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.conftest import free_port, wait_for_port  # noqa: E402

FRAME_MS = 1000 / 60
WARMUP_UPDATES = 100
SAMPLE_EVERY = 500
IDLE_SECONDS = 10
PASSWORD = "bench-admin-password"

SETUP = """
from django.contrib.auth.models import User
from connectmetrics.connectapi.catalogue import DEFAULT_METRICS, SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance, QueueFilter
from dashboard.models import DisplayToken, Wallboard
User.objects.create_superuser("bench", "bench@example.com", "{password}")
instance = ConnectInstance.objects.create(
    name="Bench", instance_id=SIMULATED_INSTANCE_ID, access_mode="simulated")
qf = QueueFilter.objects.create(name="All", instance=instance)
board = Wallboard.objects.create(slug="bench", title="Endurance")
board.add_panel(qf, columns=list(DEFAULT_METRICS))
print(DisplayToken.issue(board, "Bench TV")[1])
"""


def server_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DEBUG="1",
        SECRET_KEY="bench-secret-key",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        EMBEDDED_POLLER="0",
        BUILD_ID="dev",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


# Chromium's running totals of main-thread time, in seconds.
BUSY = ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration", "TaskDuration")


def page_metrics(page: Page, cdp: Any) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {
        "heap_mb": metrics["JSHeapUsedSize"] / 1e6,
        "nodes": metrics["Nodes"],
        "elements": page.evaluate("document.getElementsByTagName('*').length"),
        **{name: metrics[name] for name in BUSY},
    }


# The page's frame samples (static/wallboard/frame-samples.js): the frames that
# render an update, and the frames after them that write rows out of sight.
FRAME_KINDS = ("renders", "catchUps")


class PageFrames:
    """The (script, whole frame) times of the page's frames since `skip()`."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.seen = dict.fromkeys(FRAME_KINDS, 0)
        self.times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in FRAME_KINDS}

    def skip(self) -> None:
        for kind in FRAME_KINDS:
            self.seen[kind], _ = new_frame_times(self.page, kind, 0)

    def collect(self) -> None:
        for kind in FRAME_KINDS:
            self.seen[kind], fresh = new_frame_times(self.page, kind, self.seen[kind])
            self.times[kind].extend(fresh)


def new_frame_times(page: Page, kind: str, seen: int) -> tuple[int, list[tuple[float, float]]]:
    result = page.evaluate(
        """([name, seen]) => {
            const s = window.wallboardPage[name], size = s.script.length;
            const times = [];
            for (let i = Math.max(seen, s.count - size); i < s.count; i++) {
                times.push([s.script[i % size], s.frame[i % size]]);
            }
            return [s.count, times];
        }""",
        [kind, seen],
    )
    return int(result[0]), [(float(s), float(f)) for s, f in result[1]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def served(setup: str) -> Iterator[tuple[int, str]]:
    """The real server (uvicorn, embedded mode with its poller off) on a temporary SQLite
    database migrated and filled by `setup` (shell code that prints a display token last):
    its port and that token."""
    with tempfile.TemporaryDirectory() as tmp:
        env = server_env(Path(tmp))
        manage(env, "migrate", "-v", "0")
        token = manage(env, "shell", "-v", "0", "-c", setup).strip().splitlines()[-1]
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "dashboard.asgi:application", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, timeout=30)
            yield port, token
        finally:
            server.terminate()
            server.wait(timeout=15)


def run(args: argparse.Namespace) -> None:
    centre = SyntheticCentre(queues=args.queues)
    centre.warm_up()
    updates = centre.updates(seconds=args.centre_seconds)
    sockets: list[WebSocketRoute] = []

    def on_socket(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        ws.send(wallboard_message("Endurance"))
        ws.send(centre.snapshot())

    with served(SETUP.format(password=PASSWORD)) as (port, token), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": args.width, "height": args.height})
        page = context.new_page()
        base = f"http://127.0.0.1:{port}"
        if args.view == "supervisor":
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", "bench")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/wallboards/")
            url = f"{base}/wallboards/bench/"
        else:
            url = f"{base}/wallboards/bench/tv/?token={token}"
        page.route_web_socket("**/ws/wallboards/**", on_socket)
        page.goto(url)
        page.wait_for_selector(".panel[data-seq]", state="attached")
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        feed(page, sockets[0], updates, WARMUP_UPDATES, args.rate)
        idle = idle_load(page, cdp)
        frames = PageFrames(page)
        frames.skip()
        start = page_metrics(page, cdp)
        started = time.perf_counter()
        for sent in range(0, args.updates, SAMPLE_EVERY):
            feed(page, sockets[0], updates, min(SAMPLE_EVERY, args.updates - sent), args.rate)
            frames.collect()
            renders = len(frames.times["renders"])
            print(f"  {sent + SAMPLE_EVERY} updates, {renders} renders", flush=True)
        elapsed = time.perf_counter() - started
        page.wait_for_timeout(500)
        frames.collect()
        end = page_metrics(page, cdp)
        report(args, start, end, frames.times, elapsed, idle)
        browser.close()


def idle_load(page: Page, cdp: Any) -> dict[str, float]:
    """Main-thread milliseconds per second with no updates (clock, flashing breaches)."""
    before = page_metrics(page, cdp)
    page.wait_for_timeout(IDLE_SECONDS * 1000)
    after = page_metrics(page, cdp)
    return {name: (after[name] - before[name]) * 1000 / IDLE_SECONDS for name in BUSY}


def feed(page: Page, ws: WebSocketRoute, updates: Any, count: int, rate: float) -> None:
    """Send `count` updates at `rate` per second, letting the page run between them."""
    interval = 1.0 / rate
    next_at = time.perf_counter()
    for _ in range(count):
        ws.send(next(updates))
        next_at += interval
        wait_ms = (next_at - time.perf_counter()) * 1000
        page.wait_for_timeout(max(1.0, wait_ms))


def report(
    args: argparse.Namespace,
    start: dict[str, float],
    end: dict[str, float],
    times: dict[str, list[tuple[float, float]]],
    elapsed: float,
    idle: dict[str, float],
) -> None:
    print()
    print(
        f"{args.view} view, {args.queues} queues, {args.width}x{args.height}, "
        f"{args.updates} updates at {args.rate}/s (took {elapsed:.0f} s)"
    )
    print(f"{'':22}{'start':>10}{'end':>10}")
    print(f"{'JS heap (MB, after GC)':22}{start['heap_mb']:>10.2f}{end['heap_mb']:>10.2f}")
    print(f"{'DOM nodes (CDP)':22}{start['nodes']:>10.0f}{end['nodes']:>10.0f}")
    print(f"{'DOM elements':22}{start['elements']:>10.0f}{end['elements']:>10.0f}")
    renders, catch_ups = times["renders"], times["catchUps"]
    for name, values in (
        ("script per update", [script for script, _ in renders]),
        ("frame per update", [frame for _, frame in renders]),
        ("catch-up frame", [frame for _, frame in catch_ups]),
    ):
        over = sum(1 for t in values if t > FRAME_MS)
        print(
            f"{name:18}: p50 {statistics.median(values):6.2f} ms, "
            f"p99 {percentile(values, 0.99):6.2f} ms, max {max(values):6.2f} ms; "
            f"{over} of {len(values)} over one frame ({FRAME_MS:.1f} ms)"
        )
    print(
        "(script: the page's render function; frame: script, style, layout and paint;\n"
        " catch-up: a frame after an update that writes rows out of sight, "
        f"{len(catch_ups) / max(1, len(renders)):.1f} per update)"
    )
    per_update = {name: (end[name] - start[name]) * 1000 / max(1, len(renders)) for name in BUSY}
    print(
        "main thread per second, idle: "
        + ", ".join(f"{name.removesuffix('Duration')} {ms:.1f} ms" for name, ms in idle.items())
    )
    print(
        "main thread per update: "
        + ", ".join(
            f"{name.removesuffix('Duration')} {ms:.2f} ms" for name, ms in per_update.items()
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=10.0, help="updates per second")
    parser.add_argument("--queues", type=int, default=100)
    parser.add_argument("--view", choices=("tv", "supervisor"), default="tv")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument(
        "--centre-seconds",
        type=float,
        default=5.0,
        help="centre time between updates (moves trend buckets on)",
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
