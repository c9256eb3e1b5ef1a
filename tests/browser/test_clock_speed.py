"""The page on an accelerated data clock (dashboard/lib/clock.py): told the speed by the
"wallboard" message, its clock runs that many times as fast from the server's moment,
the TV's header clock shows it, and numbers polled every few real seconds stay live."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, WebSocketRoute

from connectmetrics.connectapi.catalogue import DEFAULT_METRICS
from connectmetrics.wire.message_builder import iso
from connectmetrics.wire.socket_messages import PanelSettings, WallboardMessage, encode
from tests.browser import (
    DemoSite,
    browser,  # noqa: F401
    playwright_session,  # noqa: F401
    run_module,
    serving,
)

pytestmark = pytest.mark.browser

SPEED = 60
# The server's moment as its messages say: a night in March, far from the page's own clock.
SERVER_MOMENT = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    yield from serving(DemoSite(tmp_path_factory.mktemp("clock-speed")))


def fast_wallboard(build: str) -> str:
    return encode(
        WallboardMessage(
            slug="demo",
            title="Accelerated",
            panels=[PanelSettings(1, "Queues", "tiles", list(DEFAULT_METRICS), 1)],
            theme="dark",
            ticker="",
            sound_on_critical=False,
            rotation=[],
            rotation_seconds=3600,
            build=build,
            published_at=iso(SERVER_MOMENT) or "",
            clock_speed=SPEED,
        )
    )


def open_fast_tv(context: BrowserContext, demo: DemoSite) -> Page:
    def feed(ws: WebSocketRoute) -> None:
        ws.send(fast_wallboard(demo.build))

    page = context.new_page()
    page.route_web_socket("**/ws/wallboards/**", feed)
    page.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
    page.wait_for_function("() => window.wallboardPage && window.wallboardPage.clockAnchor")
    return page


READ_CLOCKS = "() => [window.wallboardPage.serverNow(), Date.now()]"


def test_the_page_clock_runs_at_the_speed_the_server_names(
    context: BrowserContext, demo: DemoSite
) -> None:
    page = open_fast_tv(context, demo)
    server_before, local_before = page.evaluate(READ_CLOCKS)
    page.wait_for_timeout(1500)
    server_after, local_after = page.evaluate(READ_CLOCKS)
    real_ms = local_after - local_before
    # Both clocks are read in the same call: a few milliseconds of slack, times the speed.
    assert abs((server_after - server_before) - SPEED * real_ms) <= SPEED * 5
    # It counts from the server's moment, not from the screen's own clock.
    start = SERVER_MOMENT.timestamp() * 1000
    assert start < server_after < start + SPEED * (local_after - local_before + 60_000)

    # The TV's header clock shows the accelerated time: an hour on within a minute.
    def header_clock() -> datetime:
        shown = page.get_attribute("#clock", "datetime")
        assert shown is not None
        return datetime.fromisoformat(shown.replace("Z", "+00:00"))

    first = header_clock()
    page.wait_for_timeout(2500)
    assert SERVER_MOMENT <= first < SERVER_MOMENT + timedelta(hours=1)
    assert header_clock() - first >= timedelta(seconds=SPEED)


def test_numbers_polled_every_few_real_seconds_stay_live_on_a_fast_clock(modules: Page) -> None:
    body = """
      const fetched = Date.parse("2026-11-26T14:03:22.000Z");
      const data = { status: "ok", fetched_at: "2026-11-26T14:03:22.000Z",
                     data_snapshot_time: null, poll_interval: 5 };
      // Ten real seconds at speed 60 are ten minutes of data time.
      const at = (s) => fetched + s * 1000;
      return {
        fastInside: m.freshness(data, true, at(14 * 60), 60).live,
        fastPast: m.freshness(data, true, at(16 * 60), 60).live,
        realPast: m.freshness(data, true, at(16)).live,
      };
    """
    result = run_module(modules, "freshness.js", body)
    assert result == {"fastInside": True, "fastPast": False, "realPast": False}
