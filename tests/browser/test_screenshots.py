"""Screenshots of the supervisor and TV views of the demo (docs/screenshots/)."""

import os

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import DemoSite, live_table, new_context, open_tv, save_screenshot, sign_in


@pytest.mark.timeout(900)
def test_screenshots_of_the_supervisor_and_tv_views(
    browser: Browser,
    demo: DemoSite,
) -> None:
    """Saved in test-artifacts/; with WALLBOARD_SCREENSHOTS=docs also in docs/screenshots/
    (which waits until the demo has run long enough for trend lines, about three minutes).

    Critical cells are captured steady (reduced motion), not halfway through a flash.
    """
    publish = os.environ.get("WALLBOARD_SCREENSHOTS") == "docs"
    demo.shell(
        "from dashboard.models import Wallboard; Wallboard.objects.filter(slug='demo')"
        ".update(ticker='Lunch cover today: the Billing team joins Claims from 12:00 to 13:00');"
        " print(1)"
    )
    context = new_context(browser, reduced_motion="reduce")
    try:
        page = context.new_page()
        sign_in(page, demo)
        page.goto(demo.url("/wallboards/demo/"))
        live_table(page)
        if publish:
            # Trend lines are drawn once they cover three minutes of the demo.
            page.wait_for_selector(".spark.has-trend", state="attached", timeout=600_000)
        save_screenshot(page, "supervisor", publish=publish)
        for name, query in (("tv", ""), ("tv-light", "&theme=light")):
            tv = open_tv(context, demo, query)
            expect(tv.locator("#ticker")).to_be_visible()
            save_screenshot(tv, name, publish=publish)
    finally:
        context.close()
        demo.shell(
            "from dashboard.models import Wallboard; "
            "Wallboard.objects.filter(slug='demo').update(ticker=''); print(1)"
        )
