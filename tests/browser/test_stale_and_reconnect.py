"""Stale numbers are never shown as live: a cut or quiet socket shows the stale banner and
reconnecting clears it; a new build reloads the page."""

import json

from playwright.sync_api import BrowserContext, WebSocketRoute, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser import STALE_BOUND_SECONDS, DemoSite, open_tv, wait_until


def test_a_cut_socket_shows_the_stale_banner_and_reconnecting_clears_it(
    context: BrowserContext, demo: DemoSite
) -> None:
    page = open_tv(context, demo)
    page.evaluate("window.sameDocument = true")
    demo.stop()
    try:
        # Each panel's banner says so; the header's time is the oldest panel's.
        banners = page.locator(".stale-banner")
        expect(banners).to_have_count(2)
        for banner in banners.all():
            expect(banner).to_be_visible(timeout=3_000)
            expect(banner).to_contain_text("reconnecting")
        # Read after the stop: an update may land between a read and the stop.
        data_time = page.text_content("#data-time")
        expect(banners.filter(has_text=f"Data from {data_time}").first).to_be_visible()
        expect(page.locator("#live-state")).to_have_text("Not live")
        # The old numbers are greyed out, never shown as if live.
        opacity = page.eval_on_selector(".tiles", "(t) => Number(getComputedStyle(t).opacity)")
        assert opacity < 0.5
        page.wait_for_timeout(3_000)
    finally:
        demo.start()
    # Back by itself: jittered backoff is at most 8 s after this long an outage.
    for banner in page.locator(".stale-banner").all():
        expect(banner).to_be_hidden(timeout=20_000)
    expect(page.locator("#live-state")).to_have_text("Live")
    assert page.evaluate("window.sameDocument") is True


def test_a_socket_that_goes_quiet_turns_the_screen_stale(
    context: BrowserContext, demo: DemoSite
) -> None:
    """Numbers older than two poll intervals and a margin are marked, link up or not."""
    page = context.new_page()
    held = {"on": False}

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: None if held["on"] else ws.send(message))

    page.route_web_socket("**/ws/wallboards/**", relay)
    page.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    held["on"] = True
    started = page.evaluate("Date.now()")
    page.wait_for_selector("body[data-freshness=stale]", timeout=(STALE_BOUND_SECONDS + 3) * 1000)
    waited = (page.evaluate("Date.now()") - started) / 1000
    assert waited <= STALE_BOUND_SECONDS + 2
    expect(page.locator(".stale-banner").first).to_contain_text("waiting for new numbers")
    held["on"] = False
    page.wait_for_selector("body[data-freshness=live]", timeout=5_000)


def test_the_page_reloads_itself_onto_a_new_build(context: BrowserContext, demo: DemoSite) -> None:
    page = open_tv(context, demo)
    page.evaluate("window.sameDocument = true")
    demo.stop()
    demo.start(build="page-tests-2")

    def shown_build() -> str:
        try:
            return str(json.loads(page.text_content("#wallboard-config") or "{}").get("build"))
        except PlaywrightError:  # in the middle of the reload
            return ""

    wait_until(
        lambda: shown_build() == "page-tests-2",
        timeout=30,
        message="the page did not reload onto the new build",
    )
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    assert page.evaluate("window.sameDocument === undefined")
