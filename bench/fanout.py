"""Fan-out benchmark: N screens on one wallboard, M updates, time from publish to screen.

    .venv/bin/python bench/fanout.py [--clients 1000] [--updates 30] [--interval 1]
        [--server uvicorn|daphne|both] [--layer pubsub|redis|memory|all]
        [--client-processes 4] [--no-deflate] [--app fanout|textbook]
        [--ws auto|websockets|websockets-sansio|wsproto] [--board queues|agents]
        [--agents 1000]

For each server and channel layer it starts a real server with the project's
ASGI app (the Redis layers on a private redis-server; "memory" is embedded
mode, no Redis), creates a wallboard and a display token, opens N WebSocket
clients with that token, publishes M updates through the real publish
path (`publish_update`, as a Celery worker does; in embedded mode
`apublish_update` inside the server, as the embedded poller does) and prints
p50/p95/p99 of receive time minus the update's `published_at`, the fan-out
rate, the server's CPU per update and its RSS. The updates are the real demo
wallboard's (`make demo`'s "demo" wallboard, 20 queues: bench/wallboard_messages.py
polls the simulated centre with the real poller), each re-stamped as the next
`seq` of the bench's queue filter and with the time it is published. With
`--board agents` the wallboard shows an agent source instead, and the updates
are the `agent_update`s of a board of `--agents` agents (every agent of the
simulated centre a card, those not logged in Offline: bench/agent_messages.py
polls the simulated centre and builds them as connectmetrics/agents does),
re-stamped as the next `seq` of the bench's agent source.

Right before each, in the same run, it measures a bare `websockets` server
calling `websockets.broadcast()` for the same clients and payload, and prints
the ratio. Every publisher stamps `published_at` just before handing the text
on (to Redis, to the bare server's control socket, to the embedded publish
endpoint), so both paths include one local hop.

The clients run in several processes so that one client process's own
slowness is not what is measured; on a 2-core machine they still share the
cores with the server.
"""

import argparse
import asyncio
import http.client
import multiprocessing
import multiprocessing.connection
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.agent_messages import floor_messages_in_child  # noqa: E402
from bench.ports import free_port, wait_for_port  # noqa: E402
from bench.project_env import bench_project_env  # noqa: E402
from bench.wallboard_messages import DemoMessages, demo_messages  # noqa: E402

BIN = Path(sys.executable).parent
WARMUP_UPDATES = 2
GRACE_SECONDS = 3.0
CONNECTS_IN_FLIGHT = 50
STAMP = re.compile(r'"seq":\s*(\d+).*?"published_at":\s*"([^"]+)"')
UPDATE = re.compile(r'^\{"type":\s*"(agent_)?update"')
Connection = multiprocessing.connection.Connection


# --- the payload ---------------------------------------------------------------

FIELD = {
    name: re.compile(rf'"{name}":\s*(\d+|"[^"]*")')
    for name in ("queue_filter", "source", "seq", "base")
}
PUBLISHED_AT = re.compile(r'"published_at":\s*"[^"]*"')


def stamped(text: str, seq: int, source: str) -> str:
    """One of the board's messages as the `seq`-th of the bench's source (its SourceKey,
    "queue_filter:1" or "agent_source:1"), applying to the one before it, published now."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    kind, _, source_id = source.partition(":")
    own = ("queue_filter", source_id) if kind == "queue_filter" else ("source", f'"{source}"')
    for name, value in (own, ("seq", seq), ("base", seq - 1)):
        text = FIELD[name].sub(f'"{name}":{value}', text, count=1)
    return PUBLISHED_AT.sub(f'"published_at":"{stamp}"', text, count=1)


# --- processes ------------------------------------------------------------------


def client_process(url: str, origin: str, count: int, pipe: Connection) -> None:
    """Open `count` sockets, report when all have their first message, record updates.

    Like a browser, each client offers permessage-deflate.
    """
    asyncio.run(_clients(url, origin, count, pipe))


async def _clients(url: str, origin: str, count: int, pipe: Connection) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    records: list[tuple[float, str]] = []
    gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)
    ready = 0
    # Set when every socket has its first message, or when one has failed.
    settled = asyncio.Event()

    async def screen() -> None:
        nonlocal ready
        async with gate:
            socket_ = await connect(url, origin=Origin(origin), open_timeout=120, max_size=None)
            await socket_.recv()
        ready += 1
        if ready == count:
            settled.set()
        async for text in socket_:
            received = time.time()
            if isinstance(text, str) and UPDATE.match(text):
                records.append((received, text[:300]))

    tasks = [asyncio.create_task(screen()) for _ in range(count)]
    for task in tasks:
        task.add_done_callback(lambda _: settled.set())
    await settled.wait()
    failed = [t for t in tasks if t.done() and t.exception() is not None]
    pipe.send(("ready", ready, repr(failed[0].exception()) if failed else ""))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_reader(pipe.fileno(), stop.set)
    await stop.wait()
    pipe.recv()
    pipe.send(records)
    for task in tasks:
        task.cancel()


def bare_server_process(port: int, deflate: bool, snapshot: str) -> None:
    """The baseline: a bare websockets server that broadcasts what its control socket sends."""
    asyncio.run(_bare_server(port, deflate, snapshot))


async def _bare_server(port: int, deflate: bool, snapshot: str) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    screens: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        if connection.request is not None and connection.request.path == "/publish":
            async for text in connection:
                broadcast(screens, text)
            return
        screens.add(connection)
        try:
            await connection.send(snapshot)
            await connection.wait_closed()
        finally:
            screens.discard(connection)

    compression = "deflate" if deflate else None
    async with serve(handler, "127.0.0.1", port, compression=compression) as server:
        await server.serve_forever()


def setup_django(env: dict[str, str]) -> None:
    """Django with the server's settings, in a child process."""
    os.environ.update(env)
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()


def publisher_process(
    kind: str,
    target: str,
    source: str,
    env: dict[str, str],
    updates: list[str],
    pipe: Connection,
) -> None:
    """Publish one stamped update per request from the parent, the way `kind` publishes."""
    publish: Callable[[str], None]
    if kind == "bare":
        from websockets.sync.client import connect

        control = connect(target)
        publish = control.send
    elif kind == "memory":
        host, port = target.split(":")
        endpoint = http.client.HTTPConnection(host, int(port))

        def publish(text: str) -> None:
            endpoint.request("POST", f"/bench/publish?{source}", body=text.encode())
            endpoint.getresponse().read()
    else:
        setup_django(env)
        from asgiref.sync import async_to_sync

        from connectmetrics.sources.key import SourceKey
        from dashboard.push import apublish_source_update

        def publish(text: str) -> None:
            async_to_sync(apublish_source_update)(SourceKey.parse(source), text)

    while True:
        seq = pipe.recv()
        if seq is None:
            break
        text = stamped(updates[seq - 1], seq, source)
        started = time.perf_counter()
        publish(text)
        pipe.send(time.perf_counter() - started)
    if kind == "bare":
        control.close()


def wallboard_process(env: dict[str, str], board: str, pipe: Connection) -> None:
    """Create the wallboard the clients watch and a display token for them."""
    setup_django(env)
    from connectmetrics.agents.models import AgentSource
    from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
    from dashboard.models import DisplayToken, Wallboard

    instance = ConnectInstance.objects.create(
        name="Bench", instance_id="00000000-0000-4000-8000-000000000001",
        access_mode=AccessMode.SIMULATED,
    )  # fmt: skip
    # Disabled: in embedded mode the poller must not publish to the bench wallboard.
    source: QueueFilter | AgentSource
    if board == "agents":
        source = AgentSource.objects.create(
            name="Whole floor", instance=instance, enabled=False, show_offline=True
        )
    else:
        source = QueueFilter.objects.create(name="All queues", instance=instance, enabled=False)
    wallboard = Wallboard.objects.create(slug="bench", title="Bench")
    wallboard.add_panel(source)
    _, raw = DisplayToken.issue(wallboard, "bench clients")
    pipe.send((raw, str(source.source_key)))


# --- measuring --------------------------------------------------------------------


@dataclass
class Result:
    name: str
    clients: int
    delivered: int
    expected: int
    latencies_ms: list[float]
    rate_per_second: float
    cpu_ms_per_update: float
    rss_mb: float
    # How long the publisher's call took (for the Redis layers: what a Celery worker pays).
    publish_ms: float

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * p / 100 + 0.5) - 1))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def parse_stamp(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


class Publisher(NamedTuple):
    kind: str  # "bare", "memory", or the Redis layer: "pubsub", "redis"
    target: str
    source: str  # the bench's SourceKey
    env: dict[str, str]
    updates: list[str]


def measure(
    name: str, url: str, origin: str, publisher: Publisher, server_pid: int, args: Any
) -> Result:
    spawn = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    shares = [args.clients // args.client_processes] * args.client_processes
    shares[0] += args.clients - sum(shares)
    for share in shares:
        parent_end, child_end = spawn.Pipe()
        proc = spawn.Process(target=client_process, args=(url, origin, share, child_end))
        proc.start()
        pipes.append(parent_end)
        procs.append(proc)
    connected = 0
    for pipe in pipes:
        if not pipe.poll(180):
            raise TimeoutError(f"{name}: clients did not connect within 180 s")
        _, ready, error = pipe.recv()
        connected += ready
        if error:
            print(f"  {name}: a client failed to connect: {error}", flush=True)
    pub_end, pub_child = spawn.Pipe()
    pub = spawn.Process(target=publisher_process, args=(*publisher, pub_child))
    pub.start()
    total = WARMUP_UPDATES + args.updates
    cpu_before = 0.0
    publish_seconds: list[float] = []
    started = time.monotonic()
    for seq in range(1, total + 1):
        if seq == WARMUP_UPDATES + 1:
            cpu_before = cpu_seconds(server_pid)
        pub_end.send(seq)
        publish_seconds.append(pub_end.recv())
        started += args.interval
        time.sleep(max(0.0, started - time.monotonic()))
    time.sleep(GRACE_SECONDS)
    cpu_after = cpu_seconds(server_pid)
    rss = rss_mb(server_pid)
    pub_end.send(None)
    pub.join(10)
    records: list[tuple[float, str]] = []
    for pipe in pipes:
        pipe.send("stop")
        records.extend(pipe.recv())
    for proc in procs:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    by_seq: dict[int, list[float]] = {}
    for received, prefix in records:
        found = STAMP.search(prefix)
        if found and int(found[1]) > WARMUP_UPDATES:
            by_seq.setdefault(int(found[1]), []).append((received - parse_stamp(found[2])) * 1000)
    latencies = [ms for values in by_seq.values() for ms in values]
    rates = sorted(len(v) / (max(v) / 1000) for v in by_seq.values() if v and max(v) > 0)
    return Result(
        name=name,
        clients=connected,
        delivered=len(latencies),
        expected=connected * args.updates,
        latencies_ms=latencies,
        rate_per_second=rates[len(rates) // 2] if rates else float("nan"),
        cpu_ms_per_update=(cpu_after - cpu_before) * 1000 / args.updates,
        rss_mb=rss,
        publish_ms=sorted(publish_seconds)[len(publish_seconds) // 2] * 1000,
    )


# --- servers ----------------------------------------------------------------------


@contextmanager
def running(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[int]:
    """The server, its output in `log` (the project logs every socket it accepts)."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)
    try:
        try:
            wait_for_port(port)
        except TimeoutError:
            tail = log.read_text(errors="replace")[-3000:]
            raise TimeoutError(f"{command[0]} did not start:\n{tail}") from None
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(workdir)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def project_env(workdir: Path, name: str, layer: str, redis_url: str) -> dict[str, str]:
    env = bench_project_env("fanout_settings", workdir / f"{name}.sqlite3")
    env.pop("REDIS_URL", None)
    env.pop("BENCH_CHANNEL_LAYER", None)
    if layer != "memory":
        env.update(REDIS_URL=redis_url, BENCH_CHANNEL_LAYER=layer)
    return env


def prepare_wallboard(env: dict[str, str], board: str) -> tuple[str, str]:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    spawn = multiprocessing.get_context("spawn")
    parent_end, child_end = spawn.Pipe()
    proc = spawn.Process(target=wallboard_process, args=(env, board, child_end))
    proc.start()
    if not parent_end.poll(120):
        raise RuntimeError("could not create the bench wallboard (see the error above)")
    raw, source = parent_end.recv()
    proc.join()
    return raw, source


def server_command(server: str, app: str, port: int, deflate: bool, ws: str) -> list[str]:
    """The server as bin/web runs it (daphne: its defaults, which never compress)."""
    if server == "uvicorn":
        command = [str(BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port)]
        command += ["--lifespan", "on", "--no-access-log", "--log-level", "warning", "--ws", ws]
        if not deflate:
            command += ["--ws-per-message-deflate", "false"]
        return command
    return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "-v", "0", app]


def run_project(
    server: str, layer: str, workdir: Path, redis_url: str, demo: DemoMessages, args: Any
) -> Result:
    name = f"{server}-{layer}-{args.app}"
    env = project_env(workdir, name, layer, redis_url)
    raw, source = prepare_wallboard(env, args.board)
    port = free_port()
    if layer == "memory":
        app = "fanout_app:application"
        publisher = Publisher("memory", f"127.0.0.1:{port}", source, env, demo.updates)
    else:
        app = "textbook_app:application" if args.app == "textbook" else "dashboard.asgi:application"
        publisher = Publisher(layer, "", source, env, demo.updates)
    url = f"ws://127.0.0.1:{port}/ws/wallboards/bench/?token={raw}"
    command = server_command(server, app, port, args.deflate, args.ws)
    with running(command, env, port, workdir / f"{name}.log") as pid:
        label = f"{server} + {layer}" + (" (textbook)" if args.app == "textbook" else "")
        return measure(label, url, f"http://127.0.0.1:{port}", publisher, pid, args)


def run_bare(demo: DemoMessages, args: Any) -> Result:
    port = free_port()
    spawn = multiprocessing.get_context("spawn")
    proc = spawn.Process(target=bare_server_process, args=(port, args.deflate, demo.snapshot))
    proc.start()
    try:
        wait_for_port(port)
        url = f"ws://127.0.0.1:{port}/"
        publisher = Publisher(
            "bare", f"ws://127.0.0.1:{port}/publish", "queue_filter:0", {}, demo.updates
        )
        assert proc.pid is not None
        return measure(
            "bare websockets", url, f"http://127.0.0.1:{port}", publisher, proc.pid, args
        )
    finally:
        proc.terminate()
        proc.join(10)


# --- report -----------------------------------------------------------------------


def row(result: Result, bare: Result | None) -> str:
    p50, p95, p99 = (result.percentile(p) for p in (50, 95, 99))
    ratio = f"{p99 / bare.percentile(99):.2f}" if bare else "1"
    ratio50 = f"{p50 / bare.percentile(50):.2f}" if bare else "1"
    return (
        f"| {result.name} | {result.clients} | {result.delivered}/{result.expected} "
        f"| {p50:.1f} | {p95:.1f} | {p99:.1f} | {max(result.latencies_ms, default=0):.1f} "
        f"| {result.rate_per_second:,.0f} | {result.cpu_ms_per_update:.1f} "
        f"| {result.rss_mb:.0f} | {result.publish_ms:.1f} | {ratio50} | {ratio} |"
    )


HEADER = (
    "| server + layer | clients | delivered | p50 ms | p95 ms | p99 ms | max ms "
    "| fan-out msg/s | server CPU ms/update | server RSS MB | publish call ms "
    "| p50 / bare p50 | p99 / bare p99 |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def board_messages(args: Any) -> DemoMessages:
    """The board's snapshot and updates: the demo wallboard's, or an agent board's."""
    if args.board == "queues":
        return demo_messages(WARMUP_UPDATES + args.updates)
    floor = floor_messages_in_child(
        agents=args.agents,
        updates=WARMUP_UPDATES + args.updates,
        start=datetime(2026, 12, 3, 10, 30, tzinfo=UTC),
    )
    return DemoMessages(floor.snapshot, floor.updates, floor.snapshot)


def board_words(args: Any) -> str:
    if args.board == "queues":
        return "demo wallboard"
    return f"agent board ({args.agents} agents, every one a card)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=30)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between updates")
    parser.add_argument("--server", choices=["uvicorn", "daphne", "both"], default="uvicorn")
    parser.add_argument("--layer", choices=["pubsub", "redis", "memory", "all"], default="pubsub")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument(
        "--ws", choices=["auto", "websockets", "websockets-sansio", "wsproto"], default="auto",
        help="uvicorn's WebSocket implementation (bin/web: auto, which is websockets)",
    )  # fmt: skip
    parser.add_argument(
        "--app", choices=["fanout", "textbook"], default="fanout",
        help="textbook: one channel-layer message per socket (bench/textbook_app.py), "
        "for comparison; Redis layers only",
    )  # fmt: skip
    parser.add_argument(
        "--no-deflate", dest="deflate", action="store_false",
        help="servers do not compress (uvicorn --ws-per-message-deflate false; bare websockets "
        "compression=None); the clients still offer permessage-deflate, as browsers do",
    )  # fmt: skip
    parser.add_argument(
        "--board", choices=["queues", "agents"], default="queues",
        help="queues: the demo wallboard's queue filter; agents: a board of --agents agents",
    )  # fmt: skip
    parser.add_argument("--agents", type=int, default=1000, help="with --board agents")
    args = parser.parse_args()
    if args.app == "textbook" and args.layer in ("memory", "all"):
        parser.error("--app textbook runs on a Redis layer: --layer pubsub or --layer redis")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * args.clients + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    servers = ["uvicorn", "daphne"] if args.server == "both" else [args.server]
    layers = ["pubsub", "redis", "memory"] if args.layer == "all" else [args.layer]
    demo = board_messages(args)
    sizes = sorted(len(text.encode()) for text in demo.updates)
    print(
        f"{args.clients} clients in {args.client_processes} processes, {args.updates} updates "
        f"of the {board_words(args)} (median {sizes[len(sizes) // 2]:,} bytes, max {sizes[-1]:,}) "
        f"every {args.interval} s, {os.cpu_count()} cores, load average "
        f"{' '.join(f'{n:.2f}' for n in os.getloadavg())}",
        flush=True,
    )
    lines = []
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as redis_url:
        for server in servers:
            for layer in layers:
                bare = run_bare(demo, args)
                print(row(bare, None), flush=True)
                result = run_project(server, layer, Path(tmp), redis_url, demo, args)
                print(row(result, bare), flush=True)
                lines += [row(bare, None), row(result, bare)]
    print()
    print(HEADER)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
