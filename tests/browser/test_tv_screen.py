"""The TV: it fills a full HD and a 4K screen without scrolling, pages through queues that
do not fit, rotates through its wallboard's rotation, and shows the ticker an admin saves."""

import re
from typing import NamedTuple

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect

from bench.wallboard_messages import SyntheticCentre, wallboard_message
from tests.browser import DemoSite, admin_page, new_context, open_tv

NO_ALERTS = (
    "from connectmetrics.alerts.models import AlertRule; AlertRule.objects.update(enabled=False); "
    "print(1)"
)
FIT = """() => {
  const doc = document.documentElement;
  const inside = (el) => {
    const r = el.getBoundingClientRect();
    return r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5
      && r.bottom <= innerHeight + 0.5;
  };
  const values = [...document.querySelectorAll(".tile .metric")];
  return {
    scrolls: doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth,
    tiles: document.querySelectorAll(".tile").length,
    allInside: [...document.querySelectorAll(".tile, .total, #clock")].every(inside),
    clipped: values.filter((m) => m.scrollWidth > m.clientWidth + 1).length,
    valueShare: parseFloat(getComputedStyle(document.querySelector(".tile .value")).fontSize)
      / innerHeight,
    totalShare: parseFloat(getComputedStyle(document.querySelector(".total .value")).fontSize)
      / innerHeight,
  };
}"""


def test_the_tv_fills_a_full_hd_and_a_4k_screen_without_scrolling(
    browser: Browser,
    demo: DemoSite,
) -> None:
    # The same board on both screens: no open alert taking a line of it on one only.
    demo.shell(NO_ALERTS)
    fits = {}
    for width, height in ((1920, 1080), (3840, 2160)):
        context = new_context(browser, viewport={"width": width, "height": height})
        try:
            page = open_tv(context, demo)
            fits[height] = page.evaluate(FIT)
        finally:
            context.close()
    for fit in fits.values():
        assert not fit["scrolls"] and fit["allInside"] and fit["clipped"] == 0
        # The demo's 20 queues and its 4 priority queues: each panel on one page.
        assert fit["tiles"] == 20 + 4
        assert fit["valueShare"] >= 0.03  # digits at least 3% of the screen's height
        assert fit["totalShare"] >= 0.06
    # The same picture on both screens, only sharper.
    assert fits[2160]["valueShare"] == pytest.approx(fits[1080]["valueShare"], rel=0.05)


def test_queues_that_do_not_fit_rotate_through_pages(
    context: BrowserContext, demo: DemoSite
) -> None:
    """60 queues (more than a real demo has: the socket is fed synthetic messages)."""
    centre = SyntheticCentre(queues=60, build=demo.build)

    def feed(ws: WebSocketRoute) -> None:
        ws.send(wallboard_message("Sixty queues", build=demo.build))
        ws.send(centre.snapshot())

    tv = context.new_page()
    tv.route_web_socket("**/ws/wallboards/**", feed)
    tv.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
    # The demo's own panels are drawn first; the fed wallboard (one panel) replaces them.
    indicator = tv.locator(".panel-page")
    expect(indicator).to_have_count(1, timeout=15_000)
    expect(indicator).to_have_text(re.compile(r"Page 1 of [2-9]"))
    first = shown_page(tv)
    pages = first.pages
    # Pages of one size, the last holding the rest.
    per_page = len(first.names)
    assert per_page * (pages - 1) < 60 <= per_page * pages, first
    expect(indicator).to_have_text(f"Page 2 of {pages}", timeout=12_000)
    second = shown_page(tv)
    assert len(second.names) == min(per_page, 60 - per_page), second
    assert not set(first.names) & set(second.names)


class ShownPage(NamedTuple):
    number: int
    pages: int
    names: list[str]


def shown_page(tv: Page) -> ShownPage:
    """The page indicator and the queues on screen, read at one moment."""
    text, names = tv.evaluate(
        """() => [document.querySelector(".panel-page").textContent,
                  [...document.querySelectorAll(".tile-name")].map((n) => n.textContent)]"""
    )
    _, number, _, pages = text.split()
    return ShownPage(int(number), int(pages), names)


def test_a_tv_rotates_through_its_wallboards_rotation_with_one_token(
    context: BrowserContext, demo: DemoSite
) -> None:
    demo.shell(
        "from dashboard.models import Wallboard; "
        "Wallboard.objects.filter(slug='demo').update(rotation_seconds=5); print(1)"
    )
    try:
        tv = open_tv(context, demo)
        tv.wait_for_url("**/wallboards/demo-channels/tv/?**", timeout=10_000)
        assert "via=demo" in tv.url and f"token={demo.tv_token}" in tv.url
        expect(tv.locator("#board-title")).to_have_text("Queues by channel")
        expect(tv.locator("#refusal")).to_be_hidden()
        tv.wait_for_selector("body[data-freshness]", timeout=5_000)
        # demo-channels follows demo's rotation and time, back to demo.
        tv.wait_for_url(f"**/wallboards/demo/tv/?token={demo.tv_token}", timeout=10_000)
        tv.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    finally:
        demo.shell(
            "from dashboard.models import Wallboard; "
            "Wallboard.objects.filter(slug='demo').update(rotation_seconds=3600); print(1)"
        )


def test_the_ticker_appears_on_open_screens_when_an_admin_saves_it(
    context: BrowserContext, demo: DemoSite
) -> None:
    tv = open_tv(context, demo)
    tv.evaluate("window.sameDocument = true")
    expect(tv.locator("#ticker")).to_be_hidden()
    wallboard_id = demo.shell(
        "from dashboard.models import Wallboard; print(Wallboard.objects.get(slug='demo').pk)"
    )
    admin = admin_page(context, demo)
    admin.goto(demo.url(f"/admin/dashboard/wallboard/{wallboard_id}/change/"))
    line = "Storm warning: long waits expected in Claims after 15:00"
    admin.fill("#id_ticker", line)
    admin.click("input[name=_save]")
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")
    try:
        expect(tv.locator("#ticker-text")).to_have_text(line, timeout=10_000)
        assert tv.evaluate("window.sameDocument") is True
    finally:
        demo.shell(
            "from dashboard.models import Wallboard; "
            "Wallboard.objects.filter(slug='demo').update(ticker=''); print(1)"
        )
