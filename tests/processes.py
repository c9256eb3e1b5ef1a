"""Real processes for end-to-end tests: the web server, Celery worker and Celery beat.

They are started through the same entry scripts as `make dev` and docker-compose
(bin/web, bin/worker, bin/beat), each in its own process group with its output in
a log file, against a project environment of their own: a SQLite file database
in a temporary directory and, for the full topology, a private Redis.

    stack = Stack(tmp_path, redis_url=redis_server.url)   # redis_url=None: embedded mode
    token = seed_demo(stack, interval=1)   # migrate + seed_demo; the TV's display token
    stack.manage("createsuperuser", ...)   # any other command
    stack.shell("from connectmetrics.models import ConnectInstance; ...")
    web = stack.start_web()            # waits until it accepts connections
    worker = stack.start_worker()      # waits until Celery says "ready"
    beat = stack.start_beat()          # waits until beat has started
    # or start several at once, then wait: stack.start("worker") ... service.wait_ready()
    ...  web.url, web.ws_url("/ws/wallboards/demo/"), worker.logs()
    worker.kill()                      # SIGKILL, as a crash would
    stack.stop_all()                   # SIGTERM each, SIGKILL what lingers

`Stack.env` is the environment every process gets; pass extra variables to
`Stack(..., env={...})` or per process (`start_web(EMBEDDED_POLLER="0")`).
Simulated centres count their calls in the stack's Redis
(CONNECT_SIMULATOR_CONTROL_URL), so `connectmetrics.simulator.call_counts`
sees what every process sent.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from connectmetrics.simulator import CONTROL_URL_ENV
from tests.conftest import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
# What each entry script logs once it is ready (the web server: a listening port).
# Beat's own "beat: Starting..." is an INFO line of the celery.beat logger, which the
# settings quiet to WARNING; the banner's last line comes just before it.
READY = {
    "worker": re.compile(r"\bready\."),
    "beat": re.compile(r"beat: Starting|\. maxinterval -> "),
}


class Service:
    """One running process of the stack."""

    def __init__(
        self,
        name: str,
        script: str,
        process: "subprocess.Popen[bytes]",
        log_path: Path,
        port: int | None,
    ) -> None:
        self.name = name
        self.script = script
        self.process = process
        self.log_path = log_path
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> "Service":
        """Until it listens (web) or says it is ready (worker, beat); raises with its log."""
        if self.port is not None:
            try:
                wait_for_port(self.port, timeout=timeout)
            except TimeoutError:
                raise TimeoutError(f"{self.name} not listening:\n{self.tail()}") from None
        else:
            self.wait_for_log(READY[self.script], timeout)
        return self

    def wait_for_log(self, pattern: re.Pattern[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pattern.search(self.logs()):
                return
            if not self.alive:
                raise RuntimeError(
                    f"{self.name} exited ({self.process.returncode}):\n{self.tail()}"
                )
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.logs().splitlines()[-lines:])

    def terminate(self) -> None:
        """SIGTERM to the main process: uvicorn closes its sockets, Celery's main process
        stops its pool after the running tasks (a warm shutdown), beat just stops."""
        if self.alive:
            os.kill(self.process.pid, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crash or the OOM killer would: no
        cleanup runs, a poll in progress stops where it is."""
        with contextlib.suppress(ProcessLookupError):  # the whole group is already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`; the exit code."""
        self.terminate()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.wait(timeout=10)


class Stack:
    """A project environment and the processes started in it."""

    def __init__(
        self, workdir: Path, *, redis_url: str | None, env: dict[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        self.services: list[Service] = []
        self.env = {
            **os.environ,
            "PYTHON": sys.executable,
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "1",
            "SECRET_KEY": "end-to-end-tests-only",
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "REDIS_URL": redis_url or "",
            "LOG_LEVEL": "INFO",
            "MIGRATE": "0",
            "CELERY_CONCURRENCY": "2",
            **(env or {}),
        }
        if redis_url:
            self.env[CONTROL_URL_ENV] = redis_url
        else:
            self.env.pop(CONTROL_URL_ENV, None)

    def manage(self, *args: str, timeout: float = 60) -> "subprocess.CompletedProcess[str]":
        """Run `manage.py <args>` in this environment; raises with its output if it fails."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def shell(self, code: str) -> str:
        """Run Python `code` with Django set up (manage.py shell -c); its stdout.

        One process for several steps is quicker than one manage.py each, e.g.
        "from django.core.management import call_command; call_command('migrate')".
        """
        return self.manage("shell", "-c", code).stdout

    def start(self, script: str, **env: str) -> Service:
        """Start bin/<script> (web, worker, beat) with the stack's environment plus `env`.

        Does not wait: call `wait_ready()`. A web server gets a free port of its own.
        """
        name = f"{script}-{sum(s.script == script for s in self.services) + 1}"
        log_path = self.workdir / f"{name}.log"
        port = free_port() if script == "web" else None
        extra = {"HOST": "127.0.0.1", "PORT": str(port)} if port is not None else {}
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(ROOT / "bin" / script)],
                cwd=ROOT,
                env={**self.env, **extra, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service = Service(name, script, process, log_path, port)
        self.services.append(service)
        return service

    def start_web(self, *, timeout: float = 20, **env: str) -> Service:
        return self.start("web", **env).wait_ready(timeout)

    def start_worker(self, *, timeout: float = 30, **env: str) -> Service:
        return self.start("worker", **env).wait_ready(timeout)

    def start_beat(self, *, timeout: float = 20, **env: str) -> Service:
        return self.start("beat", **env).wait_ready(timeout)

    def stop_all(self, timeout: float = 10.0) -> None:
        """SIGTERM to every process at once, then wait for each (SIGKILL what lingers)."""
        for service in self.services:
            service.terminate()
        for service in self.services:
            service.stop(timeout)


DEMO = """
from django.core.management import call_command
from connectmetrics.agents.models import AgentSource
from connectmetrics.models import ConnectInstance, QueueFilter
from connectmetrics.today.models import TodaySource
from dashboard.models import Panel
call_command("migrate", verbosity=0)
call_command("seed_demo", admin_password="end-to-end")
ConnectInstance.objects.update(poll_interval={interval})
polled = ["All queues"] + ([{second!r}] if {both!r} else [])
QueueFilter.objects.exclude(name__in=polled).update(enabled=False)
Panel.objects.filter(wallboard__slug="demo").exclude(queue_filter__name__in=polled).delete()
AgentSource.objects.update(enabled=False)
TodaySource.objects.update(enabled=False)
"""
# The queue filter of the demo TV's second panel (seed_demo).
SECOND_PANEL = "Priority queues"


def seed_demo(stack: Stack, *, interval: int, both_panels: bool = False) -> str:
    """Migrate and seed the demo (admin password "end-to-end") with only its "All queues"
    filter polled, every `interval` seconds, and the demo TV showing only it; with
    `both_panels`, its second panel too ("Priority queues", polled as well). Returns the
    display token of the TV URL."""
    seeded = stack.shell(DEMO.format(interval=interval, second=SECOND_PANEL, both=both_panels))
    tv_url = re.search(r"TV view:\s+(\S+)", seeded)
    if tv_url is None:
        raise RuntimeError(f"seed_demo printed no TV URL:\n{seeded}")
    return parse_qs(urlparse(tv_url.group(1)).query)["token"][0]
