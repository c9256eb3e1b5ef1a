"""Fixtures for the page tests: the real demo server and a real Chromium.

The server is the product as `make demo` runs it (bin/web: uvicorn serving the
ASGI app in embedded mode, no REDIS_URL) on a private SQLite file, migrated
and seeded with `seed_demo`, through tests/processes.py. Changes a test makes
with `DemoSite.shell` land in that database; the server's poller reads them on
its next poll.
"""

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.conftest import free_port, wait_for_port
from tests.processes import Service, Stack, seed_demo

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The admin password tests/processes.py seeds the demo with.
ADMIN_PASSWORD = "end-to-end"
# Polls every second, so updates come quickly and the stale bound
# (2 intervals + 5 s) is 7 s.
POLL_INTERVAL = 1
STALE_BOUND_SECONDS = 2 * POLL_INTERVAL + 5


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs it)")
    pytest.skip(reason)


class DemoSite:
    """The demo as `make demo` serves it (tests/processes.py), for a browser to visit.

    The web server keeps its port across restarts, so open pages reconnect to it.
    """

    def __init__(self, workdir: Path, build: str = "page-tests-1") -> None:
        self.build = build
        self.stack = Stack(workdir, redis_url=None, env={"BUILD_ID": build})
        self.tv_token = seed_demo(self.stack, interval=POLL_INTERVAL)
        self.port = free_port()
        self.web: Service | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, build: str | None = None) -> None:
        if build is not None:
            self.build = build
        env = {"PORT": str(self.port), "BUILD_ID": self.build}
        self.web = self.stack.start("web", **env)
        try:
            wait_for_port(self.port, timeout=30)
        except TimeoutError:
            raise TimeoutError(f"the demo server did not start:\n{self.web.tail()}") from None

    def stop(self) -> None:
        if self.web is not None:
            self.web.stop()
            self.web = None

    def shell(self, code: str) -> Any:
        """Run Django code on the demo's database; it prints one JSON value last."""
        out = self.stack.shell(code)
        return json.loads(out.strip().splitlines()[-1])

    def issue_token(self, slug: str, label: str) -> str:
        return str(
            self.shell(
                "import json; from dashboard.models import DisplayToken, Wallboard; "
                f"print(json.dumps(DisplayToken.issue(Wallboard.objects.get(slug={slug!r}), "
                f"{label!r})[1]))"
            )
        )


@pytest.fixture(scope="module")
def playwright_session() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    chromium = playwright_session.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    options.setdefault("viewport", {"width": 1920, "height": 1080})
    return browser.new_context(**options)


def sign_in(page: Page, server: DemoSite, username: str = "admin", password: str = "") -> None:
    page.goto(server.url("/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", password or ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url("/wallboards/"))


def save_screenshot(page: Page, name: str, *, publish: bool = False) -> Path:
    """Keep a screenshot as a test artifact and, with `publish`, in docs/screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if publish:
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, docs / f"{name}.png")
    return path


def wait_until(check: Callable[[], Any], timeout: float, message: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (after {timeout} s)")
        time.sleep(0.1)
