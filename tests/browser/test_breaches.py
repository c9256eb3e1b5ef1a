"""A breach stands out by more than colour: icon, weight and words; critical cells flash
(unless the viewer prefers reduced motion) and a new one chimes once sound is enabled."""

from itertools import pairwise
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser import DemoSite, SocketLog, live_table, new_context, open_tv, wait_until


def cell_style(page: Page, selector: str) -> dict[str, Any]:
    style: dict[str, Any] = page.eval_on_selector(
        selector,
        """(cell) => {
          const value = cell.querySelector(".value"), icon = cell.querySelector(".cue-icon");
          const use = cell.querySelector(".cue use");
          return {
            classes: [...cell.classList],
            background: getComputedStyle(cell).backgroundColor,
            weight: Number(getComputedStyle(value).fontWeight),
            iconShown: icon.getBoundingClientRect().width > 0,
            icon: use.getAttribute("href"),
            words: cell.querySelector(".cue .visually-hidden").textContent,
          };
        }""",
    )
    return style


def test_a_breach_is_critical_by_colour_icon_and_weight(
    supervisor_page: Page, demo: DemoSite, critical_key: str
) -> None:
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    live_table(supervisor_page)
    key = critical_key
    critical = cell_style(supervisor_page, f'tr[data-key="{key}"] td[data-metric=AGENTS_ONLINE]')
    calm = cell_style(supervisor_page, f'tr[data-key="{key}"] td[data-metric=AGENTS_ON_CONTACT]')
    assert "level-critical" in critical["classes"]
    assert critical["icon"] == "#icon-critical" and critical["iconShown"]
    assert critical["words"] == "Critical: "
    assert critical["weight"] >= 800 > calm["weight"]
    assert critical["background"] == "rgb(196, 22, 28)"
    assert "level-ok" in calm["classes"] and not calm["iconShown"]
    # The row says so at its start too, for a supervisor scanning the names.
    assert "row-critical" in (supervisor_page.get_attribute(f'tr[data-key="{key}"]', "class") or "")


def test_critical_breaches_flash_unless_the_viewer_prefers_reduced_motion(
    browser: Browser,
    demo: DemoSite,
    critical_key: str,
) -> None:
    selector = f'.tile[data-key="{critical_key}"] .metric[data-metric=AGENTS_ONLINE]'
    animations = {}
    for motion in ("no-preference", "reduce"):
        context = new_context(browser, reduced_motion=motion)
        try:
            page = open_tv(context, demo)
            animations[motion] = page.eval_on_selector(
                selector,
                "(m) => [m.classList.contains('level-critical'), "
                "getComputedStyle(m, '::after').animationName]",
            )
        finally:
            context.close()
    assert animations == {"no-preference": [True, "breach"], "reduce": [True, "none"]}


SHOWN_SEQS = """Object.fromEntries(Object.entries(window.wallboardPage.state.sources)
  .map(([source, data]) => [source, data.seq]))"""


def critical_cells(msg: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (row["key"], metric)
        for row in msg["rows"]
        for metric, level in row["levels"].items()
        if level == "critical"
    }


def test_a_new_critical_breach_chimes_once_sound_is_enabled(
    context: BrowserContext, demo: DemoSite
) -> None:
    demo.shell(
        "from dashboard.models import Wallboard; "
        "Wallboard.objects.filter(slug='demo').update(sound_on_critical=True); print(1)"
    )
    try:
        tv = context.new_page()
        log = SocketLog(tv)
        tv.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
        tv.wait_for_selector("body[data-freshness=live]", timeout=20_000)
        enable = tv.locator("#enable-sound")
        expect(enable).to_have_text("Click to enable sound alerts")
        enable.click()  # the click browsers require before a page may play sound
        expect(enable).to_be_hidden()
        enabled_at = tv.evaluate(SHOWN_SEQS)
        assert tv.evaluate("window.wallboardChime.played") == 0  # breaches already shown
        demo.shell(
            "from connectmetrics.models import Queue, Threshold; "
            "from dashboard.models import Wallboard; "
            "Threshold.objects.create(queue_filter="
            "Wallboard.objects.get(slug='demo').panels.all()[0].queue_filter,"
            " queue=Queue.objects.get(name='Claims'), metric='AGENTS_ONLINE', warning=1e6,"
            " critical=1e6 - 1, direction='lower_is_worse'); print(1)"
        )
        claims = demo.shell(
            "import json; from connectmetrics.models import Queue; "
            "print(json.dumps('QUEUE=' + Queue.objects.get(name='Claims').queue_id))"
        )
        wait_until(
            lambda: tv.evaluate("window.wallboardChime.played") >= 1,
            timeout=10,
            message="no chime for the new critical breach",
        )
        tv.wait_for_timeout(2_000)
        played = tv.evaluate("window.wallboardChime.played")
        shown = tv.evaluate(SHOWN_SEQS)
        # One chime per update, of either panel's source, that brought a critical cell
        # that was not critical before (the simulated centre may breach on its own
        # meanwhile), none for the others.
        new_breaches = []
        for source, seq in shown.items():
            updates = [
                state
                for state in log.states
                if state["queue_filter"] == int(source)
                and enabled_at.get(source, 0) <= state["seq"] <= seq
            ]
            new_breaches += [
                critical_cells(after) - critical_cells(before)
                for before, after in pairwise(updates)
            ]
        assert played == sum(1 for cells in new_breaches if cells)
        assert any((claims, "AGENTS_ONLINE") in cells for cells in new_breaches)
    finally:
        demo.shell(
            "from connectmetrics.models import Threshold; from dashboard.models import Wallboard; "
            "Threshold.objects.filter(queue__name='Claims', metric='AGENTS_ONLINE').delete(); "
            "Wallboard.objects.filter(slug='demo').update(sound_on_critical=False); print(1)"
        )
