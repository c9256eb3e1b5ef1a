"""What the agent TV page's JS heap holds as updates go by: heap snapshots at checkpoints,
and what grew between them, by kind and constructor.

    .venv/bin/python bench/tv_heap.py [--agents 1000] [--polls 120] [--rate 4]
        [--checkpoints 100 700 1300 1900] [--top 12]

The page, the server and the messages are bench/tv_agents.py's (the real TV page of a
board of `--agents` agents, fed the simulated centre's real `agent_update`s). At each
checkpoint (a count of updates sent) it forces a garbage collection and reads the JS
heap (`JSHeapUsedSize`, as tv_agents.py reports it) and a full heap snapshot (CDP
HeapProfiler); then, for each span between checkpoints, the JavaScript objects (not
Blink's own) whose total size grew most. A heap that grows for ever shows the same
constructors growing in every span; V8's optimised code (`code`) grows while the page
warms up and then stops.
"""

import argparse
import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from playwright.sync_api import WebSocketRoute, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.agent_messages import floor_messages_in_child  # noqa: E402
from bench.tv_agents import SETUP, restamped, stream, wallboard_text  # noqa: E402
from bench.tv_endurance import feed, page_metrics, served  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

# (kind, constructor or name) -> (objects, bytes)
Holdings = dict[tuple[str, str], tuple[int, int]]


def heap_snapshot(cdp: Any) -> Holdings:
    """The page's heap after a garbage collection, summed by node kind and name."""
    chunks: list[str] = []

    def take(event: dict[str, str]) -> None:
        chunks.append(event["chunk"])

    cdp.on("HeapProfiler.addHeapSnapshotChunk", take)
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("HeapProfiler.takeHeapSnapshot", {"reportProgress": False})
    cdp.remove_listener("HeapProfiler.addHeapSnapshotChunk", take)
    snapshot = json.loads("".join(chunks))
    fields = snapshot["snapshot"]["meta"]["node_fields"]
    kinds = snapshot["snapshot"]["meta"]["node_types"][0]
    width = len(fields)
    at_kind, at_name, at_size = (fields.index(f) for f in ("type", "name", "self_size"))
    nodes, strings = snapshot["nodes"], snapshot["strings"]
    count: Counter[tuple[str, str]] = Counter()
    size: Counter[tuple[str, str]] = Counter()
    for i in range(0, len(nodes), width):
        key = (kinds[nodes[i + at_kind]], strings[nodes[i + at_name]][:60])
        count[key] += 1
        size[key] += nodes[i + at_size]
    return {key: (count[key], size[key]) for key in count}


def grown(before: Holdings, after: Holdings, top: int) -> list[tuple[int, int, str, str]]:
    """The JavaScript holdings (Blink's native nodes left out) that grew most in bytes."""
    rows = []
    for key in set(before) | set(after):
        if key[0] == "native":
            continue
        objects = after.get(key, (0, 0))[0] - before.get(key, (0, 0))[0]
        size = after.get(key, (0, 0))[1] - before.get(key, (0, 0))[1]
        rows.append((size, objects, *key))
    return sorted(rows, reverse=True)[:top]


def run(args: argparse.Namespace) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    floor = floor_messages_in_child(agents=args.agents, updates=args.polls, start=start)
    updates = stream(floor.updates)
    snapshot = restamped(floor.snapshot, 1)
    sockets: list[WebSocketRoute] = []

    def on_socket(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        ws.send(wallboard_text())
        ws.send(snapshot)

    taken: list[tuple[int, float, Holdings]] = []
    with served(SETUP) as (port, token), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        page.route_web_socket("**/ws/wallboards/**", on_socket)
        page.goto(f"http://127.0.0.1:{port}/wallboards/bench/tv/?token={token}")
        page.wait_for_function(
            f"() => document.querySelector('.agent-grid')?.dataset.agents === '{floor.cards}'"
        )
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        sent = 0
        for checkpoint in args.checkpoints:
            feed(page, sockets[0], updates, checkpoint - sent, args.rate)
            sent = checkpoint
            page.wait_for_timeout(500)
            heap_mb = page_metrics(page, cdp)["heap_mb"]
            holdings = heap_snapshot(cdp)
            taken.append((checkpoint, heap_mb, holdings))
            print(f"{checkpoint:>6} updates: JS heap {heap_mb:.3f} MB", flush=True)
        browser.close()
    for (a, heap_a, before), (b, heap_b, after) in pairwise(taken):
        print(f"\n{a} -> {b} updates: JS heap {heap_b - heap_a:+.3f} MB; grew most:")
        for size, objects, kind, name in grown(before, after, args.top):
            print(f"  {size:>+9,} B {objects:>+6} objects  {kind}: {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--polls", type=int, default=120, help="distinct updates, 5 s apart")
    parser.add_argument("--rate", type=float, default=4.0, help="updates per second")
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[100, 700, 1300, 1900])
    parser.add_argument("--top", type=int, default=12)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
