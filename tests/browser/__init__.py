"""The page tests' helpers: the real demo server, a real Chromium, and reading the pages.

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

import msgspec
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    WebSocket,
    sync_playwright,
)

from connectmetrics.connectapi.catalogue import format_duration
from connectmetrics.wire import socket_messages
from connectmetrics.wire.socket_messages import Snapshot, Update
from tests.conftest import free_port, wait_for_port
from tests.processes import Service, Stack, seed_demo
from tests.socket_rule import apply_update

ROOT = Path(__file__).resolve().parents[2]
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
        # The demo TV as `make demo` shows it: two panels, both live.
        self.tv_token = seed_demo(self.stack, interval=POLL_INTERVAL, both_panels=True)
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


@pytest.fixture(scope="module")
def modules(browser: Browser) -> Iterator[Page]:
    """A blank page that can import the wallboard's ES modules (served from static/)."""
    context = new_context(browser)

    def serve(route: Any) -> None:
        path = route.request.url.removeprefix(MODULE_ORIGIN + "/static/")
        file = STATIC / path
        if path.endswith(".js") and file.is_file():
            route.fulfill(body=file.read_text(), content_type="text/javascript")
        else:
            route.fulfill(body="<!doctype html><title>modules</title>", content_type="text/html")

    context.route(f"{MODULE_ORIGIN}/**", serve)
    page = context.new_page()
    page.goto(MODULE_ORIGIN + "/")
    yield page
    context.close()


def serving(demo: DemoSite) -> Iterator[DemoSite]:
    """`demo` served while the caller's fixture lasts."""
    demo.start()
    yield demo
    demo.stop()


def panel_site(workdir: Path, slug: str, setup: str = "") -> Iterator[DemoSite]:
    """The demo with a TV token for its wallboard `slug` (`setup`: Django code run on its
    database first), served while the caller's fixture lasts."""
    demo = DemoSite(workdir)
    if setup:
        demo.shell(setup)
    demo.tv_token = demo.issue_token(slug, f"{slug} test TV")
    yield from serving(demo)


def wait_for_first_snapshot(page: Page, layout: str) -> None:
    """Until the server's first snapshot of the source of the page's `layout` panel is in:
    the messages a test hands the page come after it, never before."""
    page.wait_for_function(
        """(layout) => {
          const state = window.wallboardPage.state;
          const panel = (state.wallboard.panels || []).find((p) => p.layout === layout);
          return panel !== undefined && state.sources[panel.source] !== undefined;
        }""",
        arg=layout,
    )


def panel_tv(
    browser: Browser, site: DemoSite, slug: str, layout: str, shown: str
) -> Iterator[Page]:
    """The TV page of the demo's wallboard `slug`, once its `layout` panel is shown (the
    CSS selector `shown` matches) and has its source's first snapshot; closed after."""
    context = new_context(browser)
    page = context.new_page()
    page.goto(site.url(f"/wallboards/{slug}/tv/?token={site.tv_token}"))
    page.wait_for_function("(shown) => document.querySelector(shown) !== null", arg=shown)
    wait_for_first_snapshot(page, layout)
    yield page
    context.close()


def sign_in(page: Page, server: DemoSite, username: str = "admin", password: str = "") -> None:
    page.goto(server.url("/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", password or ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url("/wallboards/"))


def save_screenshot(page: Page, name: str, *, publish: bool = False) -> Path:
    """Keep a screenshot as a test artifact and, with `publish` in a run asked to
    (WALLBOARD_SCREENSHOTS=docs), in docs/screenshots: a plain test run leaves the docs as
    they are."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if publish and os.environ.get("WALLBOARD_SCREENSHOTS") == "docs":
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


# --- reading the pages ---------------------------------------------------------

STATIC = ROOT / "static"
# How a page shows a value Amazon Connect could not calculate: a dash, never 0.
UNKNOWN = "\u2013"
MODULE_ORIGIN = "http://wallboard.test"


def run_module(page: Page, module: str, body: str, arg: Any = None) -> Any:
    """Evaluate `body` (an async function of `m`, the module, and `arg`) in the page."""
    return page.evaluate(
        f"async (arg) => {{ const m = await import('/static/wallboard/{module}'); "
        f"return (async (m, arg) => {{ {body} }})(m, arg); }}",
        arg,
    )


class SocketLog:
    """Every message the page's wallboard socket received, checked against the contract,
    and the numbers of each source they add up to after each snapshot or update
    (tests/socket_rule.py)."""

    def __init__(self, page: Page) -> None:
        self.messages: list[dict[str, Any]] = []
        self.states: list[dict[str, Any]] = []
        # Per source (queue filter): its snapshot with the updates after it applied.
        self._states: dict[int, Snapshot] = {}
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        if "/ws/wallboards/" in socket.url:
            socket.on("framereceived", self._received)

    def _received(self, frame: str | bytes) -> None:
        message = socket_messages.decode(frame)
        self.messages.append(json.loads(frame))
        if isinstance(message, Snapshot):
            state = message
        elif isinstance(message, Update) and message.queue_filter in self._states:
            state = apply_update(self._states[message.queue_filter], message)
        else:
            return
        self._states[state.queue_filter] = state
        self.states.append(msgspec.to_builtins(state))

    def with_seq(self, seq: int, source: int) -> dict[str, Any]:
        """All the numbers of `source` (a queue filter) as of `seq`, as a snapshot
        would carry them (each source has its own seqs)."""
        for state in reversed(self.states):
            if state["seq"] == seq and state["queue_filter"] == source:
                return state
        raise AssertionError(f"the socket sent no snapshot or update with seq {seq}")


def shown(value: float | None, unit: str) -> str:
    """A value as the page must show it (format.js): the console's formats."""
    if value is None:
        return UNKNOWN
    if unit == "SECONDS":
        return format_duration(value)
    if unit == "PERCENT":
        return f"{int(value + 0.5)}%"
    return str(int(value + 0.5))


READ_TABLE = """() => {
  const panel = document.querySelector(".panel");
  const rows = {};
  for (const tr of panel.querySelectorAll(".queue-table tbody tr")) {
    const cells = {};
    for (const td of tr.querySelectorAll("td")) {
      cells[td.dataset.metric] = td.querySelector(".value").textContent;
    }
    rows[tr.dataset.key] = { label: tr.querySelector("th").textContent, cells };
  }
  const headers = [...panel.querySelectorAll(".queue-table thead th")]
    .map((th) => th.textContent.trim());
  const order = [...panel.querySelectorAll(".queue-table tbody tr")]
    .map((tr) => tr.dataset.key);
  return { seq: Number(panel.dataset.seq), source: Number(panel.dataset.source), rows, headers,
           order };
}"""


def expected_rows(msg: dict[str, Any]) -> dict[str, Any]:
    units = {m["name"]: m["unit"] for m in msg["metrics"]}
    return {
        row["key"]: {
            "label": row["label"],
            "cells": {name: shown(value, units[name]) for name, value in row["values"].items()},
        }
        for row in msg["rows"]
    }


def live_table(page: Page) -> dict[str, Any]:
    """The table once it shows real numbers, read in one go with the seq it shows."""
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    table: dict[str, Any] = page.evaluate(READ_TABLE)
    return table


def open_tv(context: BrowserContext, demo: DemoSite, query: str = "") -> Page:
    page = context.new_page()
    page.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}{query}"))
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    return page


def admin_page(context: BrowserContext, demo: DemoSite) -> Page:
    page = context.new_page()
    sign_in(page, demo)
    return page
