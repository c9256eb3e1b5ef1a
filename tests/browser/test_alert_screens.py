"""Open alerts on the pages, in a real Chromium against the demo server (tests/browser.py):
a supervisor acknowledges an alert from the page and every screen shows who and when; a
viewer who may not acknowledge gets no button; the TV shows the alert in its ticker area,
large, for as long as it lasts, and drops it when it clears.

The breach is made as an admin would, with a rule on a threshold of the demo's "All queues"
filter that no value escapes (the server reads thresholds and rules afresh at every poll).
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DemoSite, new_context, save_screenshot, serving, sign_in

pytest_plugins = ["tests.browser"]  # the browser fixture
pytestmark = pytest.mark.browser

BREACH = """
import json
from connectmetrics.alerts.models import AlertRule
from connectmetrics.models import QueueFilter, Threshold
AlertRule.objects.update(enabled=False)  # the demo's own rule: only this test's alert shows
queue_filter = QueueFilter.objects.get(name="All queues")
queue = queue_filter.queues.order_by("name").first()
# Lower is worse and no queue has 10,000 agents online: its row is critical at every poll.
threshold = Threshold.objects.create(queue_filter=queue_filter, metric="AGENTS_ONLINE",
    queue=queue, warning=10000, critical=9999, direction="lower_is_worse")
AlertRule.objects.create(name="Staffing", threshold=threshold, raise_after=0, clear_after=0)
print(json.dumps([threshold.pk, queue.name]))
"""
END_BREACH = (
    "from connectmetrics.models import Threshold; "
    "Threshold.objects.filter(pk={pk}).update(warning=-1, critical=-2); print(1)"
)
NEW_BREACH = (
    "from connectmetrics.models import Threshold; "
    "Threshold.objects.filter(pk={pk}).update(warning=10000, critical=9999); print(1)"
)
ACKNOWLEDGED = """
import json
from connectmetrics.alerts.models import Alert, AlertEvent
alert = Alert.objects.get(pk={pk})
print(json.dumps([alert.acknowledged_by.username if alert.acknowledged_by else None,
    AlertEvent.objects.filter(alert=alert, kind="acknowledged").count()]))
"""
EVERY_QUEUE = """
from connectmetrics.alerts.models import AlertRule
from connectmetrics.models import QueueFilter, Threshold
queue_filter = QueueFilter.objects.get(name="All queues")
threshold = Threshold.objects.create(queue_filter=queue_filter, metric="AGENTS_ONLINE",
    queue=None, warning=10000, critical=9999, direction="lower_is_worse")
AlertRule.objects.create(name="Staffing everywhere", threshold=threshold, raise_after=0,
    clear_after=0)
print(queue_filter.queues.count())
"""
NO_EVERY_QUEUE = (
    "from connectmetrics.alerts.models import AlertRule; "
    "AlertRule.objects.filter(name='Staffing everywhere').delete(); print(1)"
)
VIEWER = """
from django.contrib.auth.models import User
from dashboard.models import Wallboard
user = User.objects.create_user("viewer", password="a-long-password-1")
Wallboard.objects.get(slug="demo").viewers.add(user)
print(1)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    yield from serving(DemoSite(tmp_path_factory.mktemp("alert-screens")))


@pytest.fixture(scope="module")
def rule(site: DemoSite) -> tuple[int, str]:
    """The test's rule: its threshold's id and the queue it watches."""
    threshold_pk, queue_name = site.shell(BREACH)
    return int(threshold_pk), str(queue_name)


@pytest.fixture
def breach(site: DemoSite, rule: tuple[int, str]) -> tuple[int, str]:
    """The rule's queue breaching now (a test before may have ended it)."""
    site.shell(NEW_BREACH.format(pk=rule[0]))
    return rule


def supervisor_page(browser: Browser, site: DemoSite, user: str = "admin") -> Page:
    page = new_context(browser).new_page()
    if user == "admin":
        sign_in(page, site)
    else:
        sign_in(page, site, user, "a-long-password-1")
    page.goto(site.url("/wallboards/demo/"))
    return page


def tv_page(browser: Browser, site: DemoSite) -> Page:
    page = new_context(browser).new_page()
    page.goto(site.url(f"/wallboards/demo/tv/?token={site.tv_token}"))
    return page


def test_a_supervisor_acknowledges_an_alert_from_the_page_and_every_screen_shows_it(
    browser: Browser, site: DemoSite, breach: tuple[int, str]
) -> None:
    _, queue_name = breach
    tv = tv_page(browser, site)
    page = supervisor_page(browser, site)
    row = page.locator("#alerts tbody tr", has_text="Staffing")
    expect(row).to_have_count(1, timeout=15_000)
    expect(row.locator(".alert-row-label")).to_have_text(queue_name)
    expect(row.locator(".alert-metric")).to_have_text("Online")
    expect(row.locator(".alert-level")).to_contain_text("Critical")
    expect(row.locator(".alert-for")).to_have_text(re.compile(r"^for \d+ (s|min)$"))
    expect(tv.locator("#alerts .tv-alert", has_text=queue_name)).to_be_visible(timeout=15_000)
    save_screenshot(page, "supervisor-open-alert")
    save_screenshot(tv, "tv-open-alert")

    row.get_by_role("button", name="Acknowledge").click()

    expect(row.locator(".alert-acknowledged")).to_have_text(
        re.compile(r"^admin at \d\d:\d\d:\d\d$"), timeout=10_000
    )
    expect(row.get_by_role("button")).to_have_count(0)
    # The TV learns it over its socket, without a reload.
    expect(tv.locator("#alerts .tv-alert", has_text=queue_name)).to_contain_text("✓ admin")
    alert_id = int(row.get_attribute("data-alert-id") or 0)
    assert site.shell(ACKNOWLEDGED.format(pk=alert_id)) == ["admin", 1]
    save_screenshot(page, "supervisor-acknowledged")
    save_screenshot(tv, "tv-acknowledged")
    page.context.close()
    tv.context.close()


def test_a_viewer_who_is_not_staff_sees_the_alerts_without_a_button(
    browser: Browser, site: DemoSite, breach: tuple[int, str]
) -> None:
    site.shell(VIEWER)
    page = supervisor_page(browser, site, "viewer")
    expect(page.locator("#alerts tbody tr", has_text="Staffing")).to_have_count(1, timeout=15_000)
    expect(page.locator("#alerts button")).to_have_count(0)
    page.context.close()


def test_the_tv_shows_an_alert_in_its_ticker_area_until_it_clears(
    browser: Browser, site: DemoSite, breach: tuple[int, str]
) -> None:
    threshold_pk, queue_name = breach
    tv = tv_page(browser, site)
    alert = tv.locator("#alerts .tv-alert", has_text=queue_name)
    expect(alert).to_be_visible(timeout=15_000)
    expect(alert).to_contain_text("Online")
    expect(alert.locator(".tv-alert-for")).to_have_text(re.compile(r"^for \d+ (s|min)$"))
    # Readable across a room: the line is at least 4 % of the screen's height (43 px at 1080).
    # Measured on the line's host: each alert inherits its size, and the host is never replaced.
    font_px = float(
        tv.locator("#alerts").evaluate("node => parseFloat(getComputedStyle(node).fontSize)")
    )
    assert font_px >= 40
    box = alert.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 1080  # on screen, not cut off

    site.shell(END_BREACH.format(pk=threshold_pk))

    expect(alert).to_have_count(0, timeout=15_000)
    expect(tv.locator("#alerts")).to_be_hidden()
    tv.context.close()


ALERT_LINES = """() => {
  const host = document.querySelector("#alerts");
  const hostBottom = host.getBoundingClientRect().bottom;
  return [...host.children].map((node) => {
    const box = node.getBoundingClientRect();
    return {
      more: node.classList.contains("tv-alert-more"),
      text: node.textContent,
      top: Math.round(box.top),
      bottom: box.bottom,
      host_bottom: hostBottom,
    };
  });
}"""


@pytest.fixture
def every_queue(site: DemoSite) -> Iterator[int]:
    """Every queue of "All queues" breaching a rule: how many queues that is."""
    queues = int(site.shell(EVERY_QUEUE))
    yield queues
    site.shell(NO_EVERY_QUEUE)


def test_the_tv_counts_the_alerts_that_do_not_fit_its_two_lines(
    browser: Browser, site: DemoSite, breach: tuple[int, str], every_queue: int
) -> None:
    tv = tv_page(browser, site)
    more = tv.locator("#alerts .tv-alert-more")
    expect(more).to_have_text(re.compile(r"^\+\d+ more$"), timeout=15_000)
    # Read in one go: a new `alerts` message replaces the lines, so separate reads could mix two.
    lines = tv.evaluate(ALERT_LINES)
    shown = [line for line in lines if not line["more"]]
    hidden = int(lines[-1]["text"].strip("+ more"))
    assert lines[-1]["more"] and len(shown) + hidden == every_queue
    # Both lines are used, and every alert shown is whole, above the bottom of the screen.
    assert len({line["top"] for line in lines}) == 2
    assert all(line["bottom"] <= line["host_bottom"] + 1 <= 1080 for line in lines)
    assert not tv.evaluate("document.documentElement.scrollHeight > innerHeight")
    save_screenshot(tv, "tv-many-alerts")
    tv.context.close()
