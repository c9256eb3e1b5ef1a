"""Metrics endpoints benchmark: cached answers per second and their latency, against a baseline.

    .venv/bin/python bench/api.py [--connections 1,16] [--seconds 10] [--rounds 2]

Both endpoints that answer GetCurrentMetricData from the cache are measured: the
seed's envelope endpoint (POST /metrics/current/<id>, a Bearer token) and the
drop-in Connect endpoint (POST /aws/metrics/current/<id>, AWS Signature Version 4;
every request is signed anew by botocore's signer before the round, since a
signature is accepted once).

It starts a private redis-server and a real uvicorn server with the project's
ASGI app in the full topology (REDIS_URL set: the answer cache in Redis), makes
a simulated instance with its 20 queues, an API token and an AWS access key,
and asks once for every queue grouped by QUEUE with the default metrics.
The instance's poll interval is set to an hour so that every later request is
a cache hit, which is what is measured: the same POST from N keep-alive
connections for S seconds, each sending again as soon as it has its answer.
One connection gives the latency of a lone caller; 16 saturate the server
(requests per second; their latency is mostly the wait in line).

The baseline, measured in the same run against the same server process, is a
minimal Django view (bench/api_bench_urls.py) returning the very bytes of each
endpoint's answer, sent the same request. Rounds alternate endpoint and
baseline; the best round of each is reported, and the ratio of the two.
"""

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from bench.ports import free_port, wait_for_port  # noqa: E402
from bench.project_env import bench_project_env  # noqa: E402

BIN = Path(sys.executable).parent
INSTANCE_ID = "00000000-0000-4000-8000-000000000001"

SETUP = """
import json
from connectmetrics.api.auth import issue_token
from connectmetrics.awsapi.keys import issue_access_key
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance
instance = ConnectInstance.objects.create(
    name="Bench", instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED,
    poll_interval=3600,
)
discover(instance)
key, secret = issue_access_key("bench", [instance])
print(json.dumps({
    "token": issue_token("bench", [instance])[1],
    "access_key": [key.access_key_id, secret],
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
    env.update(REDIS_URL=redis_url, BENCH_API_BASELINE_DIR=str(workdir))
    env.pop("CONNECT_SIMULATOR_CONTROL_URL", None)
    return env


@dataclass(frozen=True)
class Setup:
    token: str
    access_key: tuple[str, str]
    queues: list[str]


def prepare(env: dict[str, str]) -> Setup:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    made = subprocess.run(
        [*manage, "shell", "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True
    )
    setup = json.loads(made.stdout.decode().strip().splitlines()[-1])
    key_id, secret = setup["access_key"]
    return Setup(setup["token"], (key_id, secret), setup["queues"])


def request_bytes(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def bearer(token: str) -> dict[str, str]:
    return {"Host": "127.0.0.1", "Authorization": f"Bearer {token}"}


def signed_headers(
    port: int, path: str, body: bytes, key: tuple[str, str], n: int
) -> dict[str, str]:
    """Headers of a request botocore signed; `n` (a signed header) makes each signature new."""
    request = AWSRequest(
        method="POST",
        url=f"http://127.0.0.1:{port}{path}",
        data=body,
        headers={"X-Bench-Request": str(n)},
    )
    SigV4Auth(Credentials(*key), "connect", "eu-west-2").add_auth(request)
    return {"Host": f"127.0.0.1:{port}", **{k: str(v) for k, v in request.headers.items()}}


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


NAMES = {
    ("envelope", "endpoint"): "envelope endpoint, cached",
    ("envelope", "baseline"): "minimal Django view, the envelope's bytes",
    ("aws", "endpoint"): "drop-in Connect endpoint, cached",
    ("aws", "baseline"): "minimal Django view, the drop-in's bytes",
}


async def load(
    name: str,
    port: int,
    request: Callable[[], bytes],
    expected: bytes,
    connections: int,
    seconds: float,
) -> Result:
    """Keep-alive connections, each sending the request again as soon as it is answered."""
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request())
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


class Signed:
    """Requests botocore signed, each with a signature of its own, signed before a round."""

    def __init__(self, port: int, path: str, body: bytes, key: tuple[str, str]) -> None:
        self.port, self.path, self.body, self.key = port, path, body, key
        self.sent = 0
        self.ready: list[bytes] = []

    def sign(self, count: int, path: str | None = None) -> None:
        self.ready = [
            request_bytes(
                path or self.path,
                self.body,
                signed_headers(self.port, self.path, self.body, self.key, self.sent + n),
            )
            for n in range(count)
        ]
        self.sent += count
        self.ready.reverse()

    def next(self) -> bytes:
        return self.ready.pop()


async def benchmark(args: argparse.Namespace, port: int, setup: Setup, workdir: Path) -> None:
    body = {
        "Filters": {"Queues": setup.queues, "Channels": ["VOICE", "CHAT", "TASK"]},
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
    envelope_body = json.dumps(body).encode()
    envelope = request_bytes(f"/metrics/current/{INSTANCE_ID}", envelope_body, bearer(setup.token))
    signed = Signed(
        port, f"/aws/metrics/current/{INSTANCE_ID}", json.dumps(body).encode(), setup.access_key
    )
    answers: dict[str, bytes] = {}
    signed.sign(1)
    for kind, request in (("envelope", envelope), ("aws", signed.next())):
        status, answers[kind] = await fetch_once(port, request)
        if status != 200:
            raise RuntimeError(f"the {kind} endpoint answered {status}: {answers[kind][:300]!r}")
        await asyncio.to_thread((workdir / f"baseline-{kind}.json").write_bytes, answers[kind])
    # Enough signed requests for any round: more than the server can answer in it.
    per_round = int(args.seconds * 1500) + 100

    def requests(kind: str, what: str) -> Callable[[], bytes]:
        if kind == "envelope":
            path = "/bench/baseline/envelope" if what == "baseline" else None
            fixed = (
                envelope
                if path is None
                else request_bytes(path, envelope_body, bearer(setup.token))
            )
            return lambda: fixed
        signed.sign(per_round, "/bench/baseline/aws" if what == "baseline" else None)
        return signed.next

    for kind in answers:
        for what in ("endpoint", "baseline"):
            await load("warm-up", port, requests(kind, what), answers[kind], 16, 1.0)
    print(
        f"\n{len(answers['envelope']):,} bytes per envelope answer, {len(answers['aws']):,} per "
        f"drop-in answer ({len(setup.queues)} rows), {args.seconds:.0f} s per round,"
    )
    print(f"best of {args.rounds} rounds, endpoint and baseline alternating")
    print("| what | connections | requests/s | p50 ms | p99 ms | requests/s vs baseline |")
    print("|---|---|---|---|---|---|")
    for connections in args.connections:
        rounds: dict[tuple[str, str], list[Result]] = {key: [] for key in NAMES}
        for _ in range(args.rounds):
            for kind, what in NAMES:
                rounds[(kind, what)].append(
                    await load(
                        NAMES[(kind, what)],
                        port,
                        requests(kind, what),
                        answers[kind],
                        connections,
                        args.seconds,
                    )
                )
        best = {key: max(results, key=lambda r: r.per_second) for key, results in rounds.items()}
        for kind in answers:
            print(line(best[(kind, "endpoint")], best[(kind, "baseline")]))
            print(line(best[(kind, "baseline")], best[(kind, "baseline")]))


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
            setup = prepare(env)
            port = free_port()
            server = [str(BIN / "uvicorn"), "dashboard.asgi:application", "--host", "127.0.0.1"]
            server += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
            with running(server, env, port):
                asyncio.run(benchmark(args, port, setup, workdir))


if __name__ == "__main__":
    main()
