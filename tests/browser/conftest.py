"""The page tests' set-up: a blank page that imports the wallboard's ES modules, and the demo
(one per test module, with one queue's "Online" cell always critical) with a browser
context and a signed-in supervisor's page on it."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser import (
    DemoSite,
    browser,  # noqa: F401
    modules,  # noqa: F401
    new_context,
    playwright_session,  # noqa: F401
    sign_in,
)

# A threshold no queue can meet, on one queue only: its "Online" cell is
# always critical, and no other cell changes because of it.
ALWAYS_CRITICAL_QUEUE = "Billing"
SETUP_DEMO = f"""
import json
from connectmetrics.models import Queue, Threshold
from dashboard.models import Wallboard
demo = Wallboard.objects.get(slug="demo")
queue = Queue.objects.get(name={ALWAYS_CRITICAL_QUEUE!r})
Threshold.objects.create(queue_filter=demo.panels.all()[0].queue_filter, queue=queue,
                         metric="AGENTS_ONLINE",
                         warning=1_000_000, critical=999_999, direction="lower_is_worse")
# Screens stay on the wallboard under test unless a test asks for rotation.
Wallboard.objects.update(rotation_seconds=3600)
print(json.dumps(f"QUEUE={{queue.queue_id}}"))
"""


@pytest.fixture(scope="module")
def demo_and_critical_key(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DemoSite, str]]:
    site = DemoSite(tmp_path_factory.mktemp("demo"))
    key = str(site.shell(SETUP_DEMO))
    site.start()
    yield site, key
    site.stop()


@pytest.fixture
def demo(demo_and_critical_key: tuple[DemoSite, str]) -> DemoSite:
    return demo_and_critical_key[0]


@pytest.fixture
def critical_key(demo_and_critical_key: tuple[DemoSite, str]) -> str:
    """The row key of the queue whose "Online" cell is always critical."""
    return demo_and_critical_key[1]


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:  # noqa: F811
    made = new_context(browser)
    yield made
    made.close()


@pytest.fixture
def supervisor_page(context: BrowserContext, demo: DemoSite) -> Page:
    page = context.new_page()
    sign_in(page, demo)
    return page
