"""Bytes of an agent source's messages: a floor of N agents (default 1,000) of the
simulated centre, polled every `--interval` seconds of centre time for `--minutes`,
each poll's compact `agent_update` measured against the snapshot.

    .venv/bin/python bench/agent_updates.py --agents 1000 --minutes 10

No server, no database: the floor's real messages (bench/agent_messages.py: the
simulated centre through boto3, the cards, snapshot and update exactly as
connectmetrics/agents builds them). `--show-offline` makes every agent of the
centre a card. Results: docs/performance.md.
"""

import argparse
import os
import statistics
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from bench.agent_messages import floor_messages  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=5)
    parser.add_argument("--start", default="2026-12-03T10:30:00+00:00", help="centre time")
    parser.add_argument("--show-offline", action="store_true")
    args = parser.parse_args()
    found = floor_messages(
        agents=args.agents,
        updates=int(args.minutes * 60 / args.interval),
        start=datetime.fromisoformat(args.start),
        seconds_apart=args.interval,
        show_offline=args.show_offline,
    )
    sizes = [len(text.encode()) for text in found.updates]
    changed = [text.count('"key":') for text in found.updates]
    snapshot_size = len(found.snapshot.encode())
    per_minute = sum(sizes) / args.minutes
    print(
        f"agents: {args.agents} ({statistics.median(found.online):.0f} online at the median; "
        f"{found.cards} cards)"
    )
    print(f"polls: {len(sizes)} updates, {args.interval:g} s apart")
    print(f"snapshot: {snapshot_size} bytes")
    print(
        f"update: median {statistics.median(sizes):.0f} bytes, max {max(sizes)} bytes; "
        f"agents changed per update: median {statistics.median(changed):.0f}"
    )
    print(
        f"per minute: {per_minute / 1000:.1f} kB (a snapshot per poll: "
        f"{snapshot_size * 60 / args.interval / 1000:.1f} kB)"
    )


if __name__ == "__main__":
    main()
