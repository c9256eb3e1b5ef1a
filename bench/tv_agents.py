"""The TV page with a board of 1,000 agents: script time per update, frame time p99
against one 60 Hz frame, JS heap and DOM nodes over a run of updates.

    .venv/bin/python bench/tv_agents.py [--agents 1000] [--updates 600] [--rate 2]
        [--polls 240] [--width 1920] [--height 1080]

It starts the real server (uvicorn, embedded mode with its poller off, a temporary
SQLite database holding one wallboard whose one panel is an agent grid, and a display
token) and opens the TV page in headless Chromium, as bench/tv_endurance.py does for
the queue panels. The wallboard socket is replaced with Playwright's
page.route_web_socket: the page runs the server's real HTML, CSS and JS, fed the real
messages of a board of `--agents` agents (bench/agent_messages.py: the simulated
centre polled every 5 s of centre time for `--polls` polls, every agent a card, those
not logged in Offline), each update re-stamped as the next `seq` and with the real
time, sent `--rate` a second (the updates repeat from the first after the last: each
still changes the cards it names). The centre's clock is an hour behind the real one,
so every card's time in activity is in the past, as on a real floor.

It prints the JS heap (after a forced garbage collection) and the DOM node count at
the start and the end, the page's script time and whole frame time per update (p50,
p99, max, and p99 against one 60 Hz frame, 16.7 ms), the same for the catch-up frames
(those that write the rest of a page turn's cards after its first frame) and for every
frame with work, and the main thread's time per second with no updates (the grid's
clock ticking every card's time).

The baseline, measured in the same browser after the run: a bare page of as many
cards as the TV page shows, of the same size, font and colours, each a badge, a name
and a time, where an update rewrites every card's text and colour (what the TV page's
worst update does: every card of the page moved one place on) in one animation frame,
timed the same way, as many updates at the same rate. Its frame time is what this
Chromium (software raster) costs to repaint that many cards at all; the TV page's
frame p99 is printed against it too.
"""

import argparse
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import WebSocketRoute, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.agent_messages import floor_messages_in_child  # noqa: E402
from bench.tv_endurance import (  # noqa: E402
    FRAME_MS,
    PageFrames,
    feed,
    idle_load,
    page_metrics,
    percentile,
    served,
)
from connectmetrics.wire.message_builder import iso  # noqa: E402
from connectmetrics.wire.socket_messages import PanelSettings, WallboardMessage, encode  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

WARMUP_UPDATES = 20
SAMPLE_EVERY = 100
SOURCE = "agent_source:1"

SETUP = """
from connectmetrics.agents.models import AgentSource
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance
from dashboard.models import DisplayToken, Wallboard
instance = ConnectInstance.objects.create(
    name="Bench", instance_id=SIMULATED_INSTANCE_ID, access_mode="simulated")
source = AgentSource.objects.create(
    name="Whole floor", instance=instance, enabled=False, show_offline=True)
board = Wallboard.objects.create(slug="bench", title="Agents")
board.add_panel(source, title="Whole floor")
print(DisplayToken.issue(board, "Bench TV")[1])
"""

SEQ = re.compile(r'"seq":\s*\d+')
BASE = re.compile(r'"base":\s*\d+')
STAMPS = re.compile(r'"(published_at|fetched_at)":\s*"[^"]*"')
BUILD = re.compile(r'"build":\s*"[^"]*"')


def wallboard_text() -> str:
    return encode(
        WallboardMessage(
            slug="bench",
            title="Agents",
            panels=[
                PanelSettings(id=1, title="Whole floor", layout="agents", columns=[], source=SOURCE)
            ],
            theme="dark",
            ticker="",
            sound_on_critical=False,
            rotation=[],
            rotation_seconds=30,
            build="dev",
            published_at=iso(datetime.now(UTC)) or "",
        )
    )


def restamped(text: str, seq: int) -> str:
    """The message as the `seq`-th of the source, applying to the one before, sent now,
    by the server's build (a page reloads on another build's message)."""
    now = iso(datetime.now(UTC))
    text = BUILD.sub('"build":"dev"', text, count=1)
    text = SEQ.sub(f'"seq":{seq}', text, count=1)
    text = BASE.sub(f'"base":{seq - 1}', text, count=1)
    return STAMPS.sub(lambda found: f'"{found[1]}":"{now}"', text)


def stream(updates: list[str]) -> Iterator[str]:
    seq = 1
    while True:
        for text in updates:
            seq += 1
            yield restamped(text, seq)


# The bare page: `count` cards in a grid of the TV page's size, font and gap; each
# update (in an animation frame, timed as static/wallboard/frame-samples.js times
# the TV page's) writes every card's badge, name, time and colour anew.
BARE_HTML = """<!doctype html><html><head><style>
body { margin: 0; background: #0b1220; color: #f3f4f6;
  font-family: system-ui, sans-serif; }
.grid { position: absolute; display: grid; overflow: hidden; }
.card { contain: strict; display: flex; align-items: center; gap: 0.35em;
  padding: 0.1em 0.35em 0.1em 0.25em; border-radius: 0.35em; background: #1f2937;
  border-left: 0.3em solid var(--act); white-space: nowrap; }
.badge { min-width: 2.9em; padding: 0.05em 0.25em; border-radius: 0.3em;
  background: var(--act); color: #fff; font-size: 0.9em; font-weight: 800;
  text-align: center; }
.name { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis;
  font-weight: 700; }
.time { font-weight: 800; font-variant-numeric: tabular-nums; }
</style></head><body><div class="grid"></div></body></html>"""

BARE_RUN = """async ([shape, names, updates, interval]) => {
  const grid = document.querySelector('.grid');
  Object.assign(grid.style, {
    left: `${shape.left}px`, top: `${shape.top}px`, width: `${shape.width}px`,
    height: `${shape.height}px`, gap: `${shape.gap}`, fontSize: shape.font,
    gridTemplateColumns: `repeat(${shape.cols}, minmax(0, 1fr))`,
    gridTemplateRows: `repeat(${shape.rows}, minmax(0, 1fr))` });
  const colours = ['#2563eb', '#7c3aed', '#15803d', '#a16207', '#0d9488', '#db2777'];
  const badges = ['ON', 'ACW', 'AV', 'AWAY', 'IN', 'MISS'];
  const cards = [];
  for (let i = 0; i < shape.count; i++) {
    const card = document.createElement('div');
    card.className = 'card';
    const parts = ['badge', 'name', 'time'].map((kind) => {
      const span = document.createElement('span');
      span.className = kind;
      card.append(span);
      return span;
    });
    grid.append(card);
    cards.push([card, ...parts]);
  }
  const write = (k) => cards.forEach(([card, badge, name, time], i) => {
    const at = i + k;
    card.style.setProperty('--act', colours[at % colours.length]);
    badge.textContent = badges[at % badges.length];
    name.textContent = names[at % names.length];
    time.textContent = `${Math.floor(at / 60) % 60}:${String(at % 60).padStart(2, '0')}`;
  });
  write(0);
  const drawn = new MessageChannel();
  const times = [];
  drawn.port1.onmessage = (event) => {
    times[event.data[0]].push(performance.now() - event.data[1]);
  };
  for (let k = 1; k <= updates; k++) {
    await new Promise((resolve) => setTimeout(resolve, interval));
    await new Promise((resolve) => requestAnimationFrame(() => {
      const started = performance.now();
      write(k);
      times.push([performance.now() - started]);
      drawn.port2.postMessage([times.length - 1, started]);
      resolve();
    }));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  return times.filter((t) => t.length === 2);
}"""

SHAPE = """() => {
  const host = document.querySelector('.agent-cards');
  const box = host.getBoundingClientRect();
  const style = getComputedStyle(host);
  const cards = [...host.querySelectorAll('.agent-card')].filter((c) => !c.hidden);
  return {
    left: box.left, top: box.top, width: box.width, height: box.height,
    gap: style.rowGap, font: style.fontSize, count: cards.length,
    cols: Number(host.style.getPropertyValue('--cols')),
    rows: Number(host.style.getPropertyValue('--rows')),
    names: [...document.querySelectorAll('.agent-card .agent-name')].map((n) => n.textContent),
  };
}"""


def bare_frames(
    context: Any, shape: dict[str, Any], names: list[str], updates: int, rate: float
) -> list[tuple[float, float]]:
    """(script, frame) per update of the bare page of `shape`'s cards."""
    page = context.new_page()
    page.set_content(BARE_HTML)
    times = page.evaluate(BARE_RUN, [shape, names, updates, 1000 / rate])
    page.close()
    return [(float(script), float(frame)) for script, frame in times]


def run(args: argparse.Namespace) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    floor = floor_messages_in_child(agents=args.agents, updates=args.polls, start=start)
    sizes = sorted(len(text.encode()) for text in floor.updates)
    print(
        f"{floor.cards} agents ({min(floor.online)}-{max(floor.online)} logged in), "
        f"snapshot {len(floor.snapshot.encode()):,} bytes, {len(floor.updates)} updates "
        f"(median {sizes[len(sizes) // 2]:,} bytes), centre time from {start:%H:%M} UTC",
        flush=True,
    )
    updates = stream(floor.updates)
    snapshot = restamped(floor.snapshot, 1)
    sockets: list[WebSocketRoute] = []

    def on_socket(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        ws.send(wallboard_text())
        ws.send(snapshot)

    with served(SETUP) as (port, token), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": args.width, "height": args.height})
        page = context.new_page()
        page.route_web_socket("**/ws/wallboards/**", on_socket)
        page.goto(f"http://127.0.0.1:{port}/wallboards/bench/tv/?token={token}")
        page.wait_for_function(
            f"() => document.querySelector('.agent-grid')?.dataset.agents === '{floor.cards}'"
        )
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        feed(page, sockets[0], updates, WARMUP_UPDATES, args.rate)
        idle = idle_load(page, cdp)
        layout = page.evaluate(
            """() => ({
                  dense: document.querySelector('.agent-grid').dataset.dense,
                  shown: [...document.querySelectorAll('.agent-card')]
                    .filter((c) => c.isConnected && !c.hidden).length,
                  page: document.querySelector('.panel-page').textContent })"""
        )
        frames = PageFrames(page)
        frames.skip()
        first = page_metrics(page, cdp)
        started = time.perf_counter()
        for sent in range(0, args.updates, SAMPLE_EVERY):
            count = min(SAMPLE_EVERY, args.updates - sent)
            feed(page, sockets[0], updates, count, args.rate)
            frames.collect()
            now = page_metrics(page, cdp)
            print(
                f"  {sent + count} updates: heap {now['heap_mb']:.2f} MB, "
                f"{now['nodes']:.0f} DOM nodes",
                flush=True,
            )
        elapsed = time.perf_counter() - started
        page.wait_for_timeout(500)
        frames.collect()
        last = page_metrics(page, cdp)
        shape = page.evaluate(SHAPE)
        names = shape.pop("names")
        page.close()
        bare = bare_frames(context, shape, names, args.updates, args.rate)
        browser.close()
    renders = frames.times["renders"]
    catch_ups = frames.times["catchUps"]
    print()
    print(
        f"TV, {floor.cards} agents, {args.width}x{args.height}: dense {layout['dense']}, "
        f"{layout['shown']} cards a page ({layout['page'] or 'one page'}); "
        f"{args.updates} updates at {args.rate:g}/s (took {elapsed:.0f} s)"
    )
    print(f"{'':22}{'start':>10}{'end':>10}")
    print(f"{'JS heap (MB, after GC)':22}{first['heap_mb']:>10.2f}{last['heap_mb']:>10.2f}")
    print(f"{'DOM nodes (CDP)':22}{first['nodes']:>10.0f}{last['nodes']:>10.0f}")
    print(f"{'DOM elements':22}{first['elements']:>10.0f}{last['elements']:>10.0f}")
    bare_p99 = percentile([frame for _, frame in bare], 0.99)
    for name, values in (
        ("script per update", [script for script, _ in renders]),
        ("frame per update", [frame for _, frame in renders]),
        ("frame, catch-up", [frame for _, frame in catch_ups] or [0.0]),
        ("frame, every one", [frame for _, frame in renders + catch_ups]),
        ("bare: script", [script for script, _ in bare]),
        ("bare: frame", [frame for _, frame in bare]),
    ):
        over = sum(1 for t in values if t > FRAME_MS)
        p99 = percentile(values, 0.99)
        print(
            f"{name:18}: p50 {percentile(values, 0.5):6.2f} ms, p99 {p99:6.2f} ms, "
            f"max {max(values):6.2f} ms; p99 / one 60 Hz frame ({FRAME_MS:.1f} ms) "
            f"{p99 / FRAME_MS:.2f}; {over} of {len(values)} over one frame"
        )
    frame_p99 = percentile([frame for _, frame in renders], 0.99)
    print(
        f"frame p99 / bare page's frame p99 ({shape['count']} cards, every text rewritten): "
        f"{frame_p99 / bare_p99:.2f}"
    )
    print(
        "main thread per second, idle (the clock ticking every card): "
        + ", ".join(f"{name.removesuffix('Duration')} {ms:.1f} ms" for name, ms in idle.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--rate", type=float, default=2.0, help="updates per second")
    parser.add_argument("--polls", type=int, default=240, help="distinct updates, 5 s apart")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
