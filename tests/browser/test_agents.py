"""The agent grid in Chromium, on the demo's `agents` wallboard as `make demo` serves it:
activity in colour and words, time in activity ticking between messages, threshold
cues, the counts that are also the legend, live agents from the simulated centre, and
dense cards for more agents than fit, 300 agents at 1920x1080 dense and paged, never
scrolled. Screenshots go to test-artifacts/."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import (  # noqa: F401  (fixtures)
    DemoSite,
    browser,
    new_context,
    panel_site,
    panel_tv,
    playwright_session,
    save_screenshot,
    sign_in,
    wait_until,
)

pytestmark = pytest.mark.browser

ACTIVITIES = [
    "error",
    "missed",
    "rejected",
    "on_contact",
    "after_contact_work",
    "incoming",
    "custom",
    "available",
]
THRESHOLDS = [
    {"activity": "after_contact_work", "warning": 120, "critical": 300},
    {"activity": "on_hold", "warning": 180, "critical": 300},
    {"activity": "custom", "warning": 900, "critical": 1800},
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    yield from panel_site(tmp_path_factory.mktemp("agents-demo"), "agents")


@pytest.fixture
def tv(site: DemoSite, browser: Browser) -> Iterator[Page]:  # noqa: F811
    yield from panel_tv(browser, site, "agents", "agents", shown=".agent-grid")


def agent_source_of(page: Page) -> str:
    return str(
        page.evaluate(
            "() => window.wallboardPage.state.wallboard.panels"
            ".find((p) => p.layout === 'agents').source"
        )
    )


def card(key: str, activity: str, since_s: float, now_ms: int, **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "name": f"Agent {key}",
        "activity": activity,
        "since": now_ms - int(since_s * 1000),
        "status": "Break" if activity == "custom" else "Available",
        "team": "Atlas",
        "routing_profile": "Front Office",
        **extra,
    }


def show(page: Page, agents: list[dict[str, Any]], seq: int = 10) -> None:
    """An agent_snapshot for the page's agent panel, as the server would send it."""
    source = agent_source_of(page)
    page.evaluate(
        """([source, agents, thresholds, seq]) => {
          const now = new Date(window.wallboardPage.serverNow()).toISOString();
          window.wallboardPage.receive({
            type: "agent_snapshot", source, seq, published_at: now, build: "",
            status: "ok", reason: "", fetched_at: now, poll_interval: 5,
            thresholds, agents });
        }""",
        [source, agents, THRESHOLDS, seq],
    )


def now_ms(page: Page) -> int:
    return int(page.evaluate("() => window.wallboardPage.serverNow()"))


def card_state(page: Page, key: str) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """(key) => {
              const c = document.querySelector(`.agent-card[data-key="${key}"]`);
              if (!c) return null;
              return { activity: c.dataset.activity, level: c.dataset.level || "ok",
                       time: c.querySelector(".agent-time").textContent,
                       words: c.querySelector(".agent-activity").textContent,
                       hold: c.querySelector(".agent-hold").hidden ? null
                             : c.querySelector(".agent-hold").textContent,
                       contact: c.querySelector(".agent-contact").textContent,
                       colour: getComputedStyle(c).borderLeftColor };
            }""",
            key,
        )
        or {}
    )


def test_each_activity_shows_in_its_colour_and_words_with_counts_as_legend(tv: Page) -> None:
    now = now_ms(tv)
    agents = [card(f"a{i}", activity, 30, now) for i, activity in enumerate(ACTIVITIES)]
    agents.append(card("b1", "on_contact", 65, now, channel="CHAT", queue="Sales"))
    agents[-1].update(active=2, capacity=3)
    show(tv, agents)
    wait_until(lambda: card_state(tv, "b1"), 5, "the cards were not drawn")

    states = {a["key"]: card_state(tv, a["key"]) for a in agents}
    assert {states[f"a{i}"]["activity"] for i in range(len(ACTIVITIES))} == set(ACTIVITIES)
    # Colour is never the only cue: each activity has its own colour and its words.
    colours = {states[f"a{i}"]["colour"] for i in range(len(ACTIVITIES))}
    assert len(colours) == len(ACTIVITIES)
    assert states["a3"]["words"] == "On contact" and states["a6"]["words"] == "Break"
    assert states["b1"]["contact"] == "Chat · Sales · 2 of 3 chats"
    counts = tv.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.agent-count')]
            .filter((c) => !c.hidden)
            .map((c) => [c.dataset.activity,
                         [c.querySelector('.agent-count-label').textContent,
                          c.querySelector('.agent-badge').textContent,
                          Number(c.querySelector('.agent-count-value').textContent)]]))"""
    )
    assert counts["on_contact"] == ["On contact", "ON", 2]
    assert counts["after_contact_work"] == ["After contact work", "ACW", 1]
    assert set(counts) == set(ACTIVITIES)


def test_time_in_activity_ticks_between_messages_and_thresholds_cue(tv: Page) -> None:
    now = now_ms(tv)
    show(
        tv,
        [
            card("acw-ok", "after_contact_work", 60, now),
            card("acw-warn", "after_contact_work", 119, now),
            card("acw-crit", "after_contact_work", 301, now),
            card("hold", "on_contact", 400, now, on_hold=True, hold_since=now - 185_000),
            card("break", "custom", 1801, now),
            card("avail", "available", 5000, now),
        ],
    )
    wait_until(lambda: card_state(tv, "acw-ok"), 5, "the cards were not drawn")
    first = card_state(tv, "acw-ok")["time"]
    assert first in ("1:00", "1:01")
    assert card_state(tv, "acw-crit")["level"] == "critical"
    assert card_state(tv, "hold")["level"] == "warning"
    assert card_state(tv, "hold")["hold"].startswith("On hold 3:0")
    assert card_state(tv, "break")["level"] == "critical"
    assert card_state(tv, "avail")["level"] == "ok"
    # No message comes (the demo's agent source is not polled): the clock moves them.
    wait_until(
        lambda: card_state(tv, "acw-warn")["level"] == "warning", 4, "ACW over 2 min not warned"
    )
    time.sleep(1.2)
    assert card_state(tv, "acw-ok")["time"] != first
    assert tv.evaluate(
        "() => document.querySelector('.agent-card[data-key=\"acw-crit\"] .cue').offsetWidth > 0"
    ), "the critical icon is shown beside the colour"


LAYOUT = """() => {
  const cards = [...document.querySelectorAll('.agent-card')].filter((c) => !c.hidden
    && c.isConnected);
  const host = document.querySelector('.agent-cards').getBoundingClientRect();
  const texts = cards.flatMap((c) => [...c.querySelectorAll('span, time')]
    .filter((t) => t.offsetWidth > 0 && t.textContent.trim() !== ''));
  return {
    shown: cards.length,
    dense: document.querySelector('.agent-grid').dataset.dense === 'true',
    inside: cards.every((c) => { const r = c.getBoundingClientRect();
      return r.bottom <= host.bottom + 1 && r.right <= host.right + 1; }),
    page: ((p) => p.hidden ? '' : p.textContent)(
      document.querySelector('.panel[data-layout="agents"] .panel-page')),
    scroll: [document.documentElement.scrollHeight, innerHeight,
             document.documentElement.scrollWidth, innerWidth],
    smallest: Math.min(...texts.map((t) => parseFloat(getComputedStyle(t).fontSize))),
    badges: cards.every((c) => c.querySelector('.agent-card-badge').offsetWidth > 0),
    times: cards.every((c) => c.querySelector('.agent-time').textContent !== ''),
  };
}"""


def floor_of(page: Page, count: int) -> dict[str, Any]:
    """The TV's agent grid, once it shows `count` agents."""
    now = now_ms(page)
    agents = [
        card(f"z{i:03d}", ACTIVITIES[i % len(ACTIVITIES)], 10 + i, now, channel="VOICE")
        for i in range(count)
    ]
    show(page, agents)
    wait_until(
        lambda: (
            page.evaluate("() => document.querySelector('.agent-grid').dataset.agents")
            == str(count)
        ),
        5,
        f"{count} agents were not taken",
    )
    page.wait_for_timeout(300)
    return dict(page.evaluate(LAYOUT))


def test_300_agents_turn_dense_and_page_at_1080p_and_never_scroll(tv: Page) -> None:
    layout = floor_of(tv, 300)
    save_screenshot(tv, "agents-tv-300")
    assert layout["scroll"][0] <= layout["scroll"][1] and layout["scroll"][2] <= layout["scroll"][3]
    # Dense cards: the activity's badge, the name and the time on one line.
    assert layout["dense"] and layout["badges"] and layout["times"] and layout["inside"]
    pages = int(layout["page"].split(" of ")[1])
    assert layout["page"].startswith("Page 1 of ") and layout["shown"] * pages >= 300
    # Twice as many on a page as normal cards at their smallest (40 in this panel).
    assert 80 <= layout["shown"] < 300
    # Every text on a card readable across a room: at least 1.8% of the screen's height.
    assert layout["smallest"] >= 0.018 * 1080


def test_a_floor_that_fits_keeps_its_normal_cards(tv: Page) -> None:
    layout = floor_of(tv, 40)
    assert not layout["dense"] and not layout["badges"] and layout["shown"] == 40
    # The normal cards' names at least 2.3% of the screen's height, the rest 0.82 of it.
    assert layout["smallest"] >= 0.023 * 1080 * 0.82 - 0.5
    layout = floor_of(tv, 70)
    save_screenshot(tv, "agents-tv-70")
    # More than fit at the normal size: dense, all on one page.
    assert layout["dense"] and layout["shown"] == 70 and layout["inside"]
    assert layout["page"] == "" and layout["smallest"] >= 0.018 * 1080


def test_the_live_agents_of_the_simulated_centre_reach_the_grid(
    site: DemoSite,
    browser: Browser,  # noqa: F811
) -> None:
    site.shell(
        "from connectmetrics.agents.models import AgentSource; "
        "print(AgentSource.objects.update(enabled=True))"
    )
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, site)
        page.goto(site.url("/wallboards/agents/"))
        # However many are logged in at this hour (a few of the night shift at 03:00 UTC).
        wait_until(
            lambda: (
                int(
                    page.evaluate(
                        "() => Number(document.querySelector('.agent-grid')?.dataset.agents || 0)"
                    )
                )
                > 0
            ),
            30,
            "the simulated centre's agents did not reach the supervisor's grid",
        )
        names = page.evaluate(
            "() => [...document.querySelectorAll('.agent-card .agent-name')]"
            ".map((n) => n.textContent)"
        )
        assert names and not any(name.startswith("Agent ") for name in names)
        save_screenshot(page, "agents-supervisor")
    finally:
        context.close()
        site.shell(
            "from connectmetrics.agents.models import AgentSource; "
            "print(AgentSource.objects.update(enabled=False))"
        )


def test_an_offline_agent_shows_no_time(tv: Page) -> None:
    now = now_ms(tv)
    show(tv, [card("off", "offline", 3600, now, status=""), card("av", "available", 60, now)])
    wait_until(lambda: card_state(tv, "off").get("activity") == "offline", 5, "no offline card")
    # Connect does not say when an agent logged out: no time is made up for them.
    assert card_state(tv, "off")["time"] == "" and card_state(tv, "off")["words"] == "Offline"
    assert card_state(tv, "av")["time"].startswith("1:0")


PLACES = """() => {
  const host = document.querySelector('.agent-cards');
  const page = document.querySelector('.panel[data-layout="agents"] .panel-page');
  return {
    page: page.hidden ? 1 : Number(page.textContent.split(' ')[1]),
    per_page: Number(host.style.getPropertyValue('--cols'))
      * Number(host.style.getPropertyValue('--rows')),
    keys: [...host.querySelectorAll('.agent-card')]
      .map((c) => [c.getBoundingClientRect(), c.dataset.key])
      .sort(([a], [b]) => a.top - b.top || a.left - b.left)
      .map(([, key]) => key),
  };
}"""


def on_screen_in_order(page: Page, agents: list[dict[str, Any]]) -> bool:
    """The page's cards, read left to right and top to bottom, are its share of the
    agents grouped by activity, longest in it first, and no other agent has a card."""
    places = page.evaluate(PLACES)
    ordered = sorted(agents, key=lambda a: (ACTIVITIES.index(a["activity"]), a["since"]))
    start = (places["page"] - 1) * places["per_page"]
    wanted = [a["key"] for a in ordered[start : start + places["per_page"]]]
    return bool(places["keys"] == wanted)


def test_agents_keep_their_order_on_screen_as_one_ahead_changes_activity(tv: Page) -> None:
    now = now_ms(tv)
    agents = [card(f"p{i:03d}", ACTIVITIES[i % 2], 10 + i, now) for i in range(300)]
    show(tv, agents)
    wait_until(lambda: on_screen_in_order(tv, agents), 5, "the first page is not in order")
    # The longest in Error becomes Available: every agent after it moves a place on.
    agents[298] = card("p298", "available", 1, now_ms(tv))
    show(tv, agents, seq=11)
    wait_until(lambda: on_screen_in_order(tv, agents), 5, "the cards did not move on")
