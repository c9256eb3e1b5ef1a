"""Metrics endpoint benchmark: cached answers per second and their latency, against a baseline.

    .venv/bin/python bench/api.py [--connections 1,16] [--seconds 10] [--rounds 2]

It starts a private redis-server and a real uvicorn server with the project's
ASGI app in the full topology (REDIS_URL set: the answer cache in Redis), makes
a simulated instance with its 20 queues and an API token, and asks once for
every queue grouped by QUEUE with the default metrics (the one upstream call).
The instance's poll interval is set to an hour so that every later request is
a cache hit, which is what is measured: the same POST from N keep-alive
connections for S seconds, each sending again as soon as it has its answer.
One connection gives the latency of a lone caller; 16 saturate the server
(requests per second; their latency is mostly the wait in line).

The baseline, measured in the same run against the same server process, is a
minimal Django view (bench/api_bench_urls.py) returning the very bytes of the
endpoint's answer. Rounds alternate endpoint and baseline; the best round of
each is reported, and the ratio of the two.
"""

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ports import free_port, wait_for_port  # noqa: E402
from bench.project_env import bench_project_env  # noqa: E402

BIN = Path(sys.executable).parent
INSTANCE_ID = "00000000-0000-4000-8000-000000000001"

SETUP = """
import json
from connectmetrics.api.auth import issue_token
from connectmetrics.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance
instance = ConnectInstance.objects.create(
    name="Bench", instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED,
    poll_interval=3600,
)
discover(instance)
print(json.dumps({
    "token": issue_token("bench", [instance])[1],
    "queues": sorted(instance.queues.values_list("queue_id", flat=True)),
}))
"""


@contextmanager
def running(command: list[str], env: dict[str, str] | None, port: int) -> Iterator[None]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def redis_command(port: int, workdir: Path) -> list[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    return [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)]


def project_env(workdir: Path, redis_url: str) -> dict[str, str]:
    env = bench_project_env("api_bench_settings", workdir / "bench-api.sqlite3")
    env.update(REDIS_URL=redis_url, BENCH_API_BASELINE_FILE=str(workdir / "baseline.json"))
    env.pop("CONNECT_SIMULATOR_CONTROL_URL", None)
    return env


def prepare(env: dict[str, str]) -> tuple[str, list[str]]:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    made = subprocess.run(
        [*manage, "shell", "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True
    )
    setup = json.loads(made.stdout.decode().strip().splitlines()[-1])
    return setup["token"], setup["queues"]


def request_bytes(path: str, body: bytes, token: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def one_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(
        int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length:")
    )
    return status, await reader.readexactly(length)


async def fetch_once(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    answer = await one_response(reader)
    writer.close()
    return answer


@dataclass
class Result:
    name: str
    connections: int
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * p / 100) - 1))]


NAMES = {"endpoint": "metrics endpoint, cached", "baseline": "minimal Django view, same bytes"}


async def load(
    name: str, port: int, request: bytes, expected: bytes, connections: int, seconds: float
) -> Result:
    """Keep-alive connections, each sending the request again as soon as it is answered."""
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            status, body = await one_response(reader)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200 or body != expected:
                raise RuntimeError(f"{name}: unexpected answer {status} {body[:200]!r}")
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return Result(name, connections, len(latencies), time.perf_counter() - began, latencies)


def line(result: Result, baseline: Result) -> str:
    return (
        f"| {result.name} | {result.connections} | {result.per_second:,.0f} "
        f"| {result.percentile(50):.1f} "
        f"| {result.percentile(99):.1f} | {result.per_second / baseline.per_second:.2f} |"
    )


async def benchmark(
    args: argparse.Namespace, port: int, token: str, queues: list[str], baseline_file: Path
) -> None:
    body = json.dumps(
        {
            "Filters": {"Queues": queues, "Channels": ["VOICE", "CHAT", "TASK"]},
            "Groupings": ["QUEUE"],
            "CurrentMetrics": [
                {"Name": name, "Unit": unit}
                for name, unit in (
                    ("AGENTS_ONLINE", "COUNT"),
                    ("AGENTS_AVAILABLE", "COUNT"),
                    ("AGENTS_ON_CONTACT", "COUNT"),
                    ("AGENTS_AFTER_CONTACT_WORK", "COUNT"),
                    ("CONTACTS_IN_QUEUE", "COUNT"),
                    ("OLDEST_CONTACT_AGE", "SECONDS"),
                )
            ],
        }
    ).encode()
    endpoint = request_bytes(f"/metrics/current/{INSTANCE_ID}", body, token)
    status, answer = await fetch_once(port, endpoint)
    if status != 200:
        raise RuntimeError(f"the endpoint answered {status}: {answer[:300]!r}")
    await asyncio.to_thread(baseline_file.write_bytes, answer)
    baseline = request_bytes("/bench/baseline", body, token)
    await load("warm-up", port, endpoint, answer, 16, 1.0)
    await load("warm-up", port, baseline, answer, 16, 1.0)
    print(
        f"\n{len(answer):,} bytes per answer ({len(queues)} rows), {args.seconds:.0f} s per round,"
    )
    print(f"best of {args.rounds} rounds, endpoint and baseline alternating")
    print("| what | connections | requests/s | p50 ms | p99 ms | requests/s vs baseline |")
    print("|---|---|---|---|---|---|")
    for connections in args.connections:
        rounds: dict[str, list[Result]] = {"endpoint": [], "baseline": []}
        for _ in range(args.rounds):
            for kind, request in (("endpoint", endpoint), ("baseline", baseline)):
                name = NAMES[kind]
                rounds[kind].append(
                    await load(name, port, request, answer, connections, args.seconds)
                )
        best = {kind: max(results, key=lambda r: r.per_second) for kind, results in rounds.items()}
        print(line(best["endpoint"], best["baseline"]))
        print(line(best["baseline"], best["baseline"]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--connections",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 16],
        help="comma-separated numbers of concurrent connections to measure",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis_port = free_port()
        with running(redis_command(redis_port, workdir), None, redis_port):
            env = project_env(workdir, f"redis://127.0.0.1:{redis_port}/0")
            token, queues = prepare(env)
            port = free_port()
            server = [str(BIN / "uvicorn"), "dashboard.asgi:application", "--host", "127.0.0.1"]
            server += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
            with running(server, env, port):
                asyncio.run(benchmark(args, port, token, queues, workdir / "baseline.json"))


if __name__ == "__main__":
    main()
