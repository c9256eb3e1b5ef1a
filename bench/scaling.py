"""What a screen and a queue filter cost when scaling out (docs/scaling.md).

    .venv/bin/python -m bench.scaling [--sockets 0,250,1000] [--filters 1,11] [--seconds 30]

Runs the full topology as `make dev` does (bin/web, bin/worker, bin/beat on a
private redis-server, the demo's simulated centre, poll interval 5 s) and prints

- per queue filter: Redis commands per poll and upstream calls per interval,
  from Redis's own command statistics and the simulated centre's call count,
  with 1 and with N enabled filters (the difference is what one more costs);
- per web process: its RSS with 0..N wallboard sockets open, the memory per
  socket, and the Redis commands per second it makes with sockets open.

No timings: these are counts and sizes, which do not depend on the machine's
load. Latencies are bench/fanout.py's (docs/performance.md).
"""

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
from websockets.asyncio.client import ClientConnection, connect

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.simulator import call_counts
from tests.conftest import RedisServer
from tests.processes import Service, Stack, seed_demo

INTERVAL = 5
CONNECTS_IN_FLIGHT = 50


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def redis_commands(client: "redis.Redis[Any]") -> dict[str, int]:
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def good_polls(client: "redis.Redis[Any]") -> int:
    totals = client.hgetall("cm:telemetry:total")
    return sum(int(v) for k, v in totals.items() if k.decode().startswith("polls:"))


def set_filters(stack: Stack, enabled: int) -> None:
    """`enabled` copies of the demo's "All queues" filter (20 queues, 3 channels)."""
    stack.shell(
        "from connectmetrics.models import QueueFilter\n"
        "base = QueueFilter.objects.get(name='All queues')\n"
        f"for n in range(1, {enabled}):\n"
        "    f, _ = QueueFilter.objects.get_or_create(name=f'Copy {n}', instance=base.instance,"
        " defaults={'channels': base.channels, 'metrics': base.metrics})\n"
        "    f.queues.set(base.queues.all())\n"
        "QueueFilter.objects.exclude(name='All queues').update(enabled=False)\n"
        f"QueueFilter.objects.filter(name__in=[f'Copy {{n}}' for n in range(1, {enabled})])"
        ".update(enabled=True)\n"
    )


def per_filter(
    stack: Stack, client: "redis.Redis[Any]", filters: int, seconds: float
) -> tuple[float, float]:
    """(polls per second, Redis commands per second) with `filters` enabled filters."""
    set_filters(stack, filters)
    time.sleep(2 * INTERVAL)  # every filter past its first poll
    commands, polls = redis_commands(client), good_polls(client)
    upstream = call_counts(stack.env["REDIS_URL"], SIMULATED_INSTANCE_ID)
    time.sleep(seconds)
    spent = {
        name: n - commands.get(name, 0)
        for name, n in redis_commands(client).items()
        if n != commands.get(name, 0)
    }
    polled = good_polls(client) - polls
    calls = call_counts(stack.env["REDIS_URL"], SIMULATED_INSTANCE_ID)
    fetches = calls.get("GetCurrentMetricData", 0) - upstream.get("GetCurrentMetricData", 0)
    intervals = seconds / INTERVAL
    total = sum(spent.values())
    top = ", ".join(f"{name} {n}" for name, n in sorted(spent.items(), key=lambda i: -i[1])[:8])
    print(
        f"{filters:>3} filters: {polled} polls in {seconds:.0f} s, "
        f"{fetches / max(1, filters) / intervals:.2f} upstream calls per filter per interval, "
        f"{total} Redis commands ({total / seconds:.1f}/s; {top})"
    )
    return polled / seconds, total / seconds


async def open_sockets(url: str, origin: str, count: int) -> list[ClientConnection]:
    gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)

    async def one() -> ClientConnection:
        async with gate:
            socket = await connect(url, origin=origin)  # type: ignore[arg-type]
            await socket.recv()  # "wallboard"
            await socket.recv()  # "snapshot"
            await socket.recv()  # "alerts"
            return socket

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def drain(sockets: list[ClientConnection], seconds: float) -> None:
    """Read what arrives (as screens do) for `seconds`."""

    async def read(socket: ClientConnection) -> None:
        try:
            async with asyncio.timeout(seconds):
                while True:
                    await socket.recv()
        except TimeoutError:
            return

    await asyncio.gather(asyncio.sleep(seconds), *(read(socket) for socket in sockets))


def redis_load(client: "redis.Redis[Any]") -> tuple[int, int]:
    """(commands, bytes sent to clients) so far."""
    sent = int(client.info("stats")["total_net_output_bytes"])
    return sum(redis_commands(client).values()), sent


async def measure_redis(
    client: "redis.Redis[Any]", sockets: list[ClientConnection], seconds: float
) -> tuple[float, float]:
    """Redis commands and KB sent per second while the screens read their updates."""
    commands, sent = redis_load(client)
    await drain(sockets, seconds)
    commands_after, sent_after = redis_load(client)
    return (commands_after - commands) / seconds, (sent_after - sent) / 1024 / seconds


async def per_socket(
    web: Service, token: str, client: "redis.Redis[Any]", counts: list[int], seconds: float
) -> list[ClientConnection]:
    url = web.ws_url(f"/ws/wallboards/demo/?token={token}")
    opened: list[ClientConnection] = []
    baseline: float | None = None
    for count in counts:
        opened += await open_sockets(url, web.url, count - len(opened))
        await drain(opened, 2 * INTERVAL)  # a couple of updates through every socket
        commands, sent = await measure_redis(client, opened, seconds)
        rss = rss_mb(web.process.pid)
        baseline = rss if baseline is None else baseline
        each = f", {(rss - baseline) * 1024 / count:.1f} KB per socket" if count else ""
        print(
            f"web process with {count:>5} sockets: RSS {rss:.0f} MB{each}; Redis, whole stack: "
            f"{commands:.1f} commands/s, {sent:.1f} KB/s sent"
        )
    return opened


async def second_web(
    stack: Stack, token: str, client: "redis.Redis[Any]", sockets: int, seconds: float
) -> None:
    """What one more web process (behind the same load balancer) costs Redis."""
    web = stack.start_web()
    url = web.ws_url(f"/ws/wallboards/demo/?token={token}")
    opened = await open_sockets(url, web.url, sockets)
    await drain(opened, 2 * INTERVAL)
    commands, sent = await measure_redis(client, opened, seconds)
    print(
        f"a second web process with {sockets} sockets: RSS {rss_mb(web.process.pid):.0f} MB; "
        f"Redis, whole stack: {commands:.1f} commands/s, {sent:.1f} KB/s sent"
    )
    for socket in opened:
        await socket.close()


async def per_web_process(
    stack: Stack, web: Service, token: str, client: "redis.Redis[Any]", args: Any
) -> None:
    counts = [int(n) for n in args.sockets.split(",")]
    opened = await per_socket(web, token, client, counts, args.seconds)
    await second_web(stack, token, client, counts[-1], args.seconds)
    for socket in opened:
        await socket.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", default="0,250,1000")
    parser.add_argument("--filters", default="1,11")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    # A thousand sockets here and as many in the server (which inherits this limit).
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory() as workdir:
        server = RedisServer(Path(workdir))
        server.start()
        client = redis.Redis.from_url(server.url)
        stack = Stack(Path(workdir), redis_url=server.url)
        try:
            token = seed_demo(stack, interval=INTERVAL)
            worker, beat, web = (stack.start(s) for s in ("worker", "beat", "web"))
            for service in (worker, beat, web):
                service.wait_ready()
            print(f"poll interval {INTERVAL} s; the demo filter: 20 queues x 3 channels")
            rates = [
                per_filter(stack, client, int(n), args.seconds) for n in args.filters.split(",")
            ]
            if len(rates) >= 2:
                (polls_a, commands_a), (polls_b, commands_b) = rates[0], rates[-1]
                extra = (commands_b - commands_a) / (polls_b - polls_a)
                print(f"Redis commands per extra poll: {extra:.1f}")
            set_filters(stack, 1)
            asyncio.run(per_web_process(stack, web, token, client, args))
        finally:
            stack.stop_all()
            server.stop()


if __name__ == "__main__":
    main()
