"""Shared fixtures: real services on private loopback ports; and each test's tier marker,
from the directory it is in (CONTRIBUTING.md, "The test tiers")."""

import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bench.ports import free_port, wait_for_port

# Fixture modules that test files load with `pytest_plugins` and import from too: their asserts
# are rewritten whichever tier directory's file is collected first.
pytest.register_assert_rewrite(
    "tests.alerts_support", "tests.api_fixtures", "tests.browser", "tests.polling_support"
)

# What a browser sends with a wallboard socket opened by a page of the site at 127.0.0.1:
# the socket's Host and the page's origin (dashboard/origins.py lets only that in).
SAME_ORIGIN_HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]

TESTS = Path(__file__).resolve().parent
# The markers each tier directory gives its tests: `-m` selects by them (Makefile, .ci/run).
# The chaos tests run real processes too, so they are end-to-end as well.
TIER_MARKERS: dict[str, Sequence[str]] = {
    "unit": ("unit",),
    "integration": ("integration",),
    "browser": ("browser",),
    "e2e": ("e2e",),
    "chaos": ("e2e", "chaos"),
}
# A test marked with one of these itself is in that tier wherever its file is: a few files
# in unit/ and integration/ still hold such a test beside their own (CONTRIBUTING.md).
OWN_TIERS = ("browser", "e2e", "chaos")


class RedisServer:
    """A real redis-server of the test session's own, on a free loopback port.

    Tests that break Redis on purpose (stop, start) use `stop()` and `start()`.
    """

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "redis-server is not installed: .ci/run installs it (apt-get install redis)"
            )
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()

    def fresh(self) -> str:
        """Running (a test before may have stopped it) and empty; its URL."""
        if self.process is None:
            self.start()
        self.flush()
        return self.url


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A clean real Redis for one test."""
    return redis_server.fresh()


@pytest.fixture(autouse=True)
def fresh_shared_state() -> Iterator[None]:
    """Each test starts with empty process-local shared state (snapshots, locks, quota,
    wrong-token counts...): nothing adds up across the suite."""
    from dashboard.lib import shared_state

    shared_state.reset()
    yield
    shared_state.reset()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On SQLite, the test database is a file rather than SQLite's shared in-memory one:
    threads that write while a test does (the alert courier, embedded polls) then wait for
    each other's locks, as they do in production, instead of failing at once with
    "database table is locked"."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("db") / "test.sqlite3"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with its tier, from its directory: tests/<tier>/..."""
    for item in items:
        place = item.path.relative_to(TESTS)
        tier = place.parts[0] if len(place.parts) > 1 else None
        if tier not in TIER_MARKERS:
            raise pytest.UsageError(
                f"{item.path} is in no tier directory: move it to tests/unit/, "
                "tests/integration/, tests/browser/, tests/e2e/ or tests/chaos/ "
                '(CONTRIBUTING.md, "The test tiers")'
            )
        own = [name for name in OWN_TIERS if item.get_closest_marker(name) is not None]
        if own and tier in ("unit", "integration"):
            continue
        for name in TIER_MARKERS[tier]:
            item.add_marker(name)
