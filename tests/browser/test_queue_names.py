"""Queue names from Connect are shown as text, never as markup, on both views."""

from functools import partial

from playwright.sync_api import BrowserContext, Locator, Page

from tests.browser import DemoSite, open_tv, wait_until


def shows_text(elements: Locator, text: str) -> bool:
    return text in elements.all_text_contents()


MARKUP_NAME = '<img src=x onerror="window.pwned=1"><b>Back Office</b>'


def test_queue_names_with_markup_are_shown_as_text(
    supervisor_page: Page, context: BrowserContext, demo: DemoSite
) -> None:
    demo.shell(
        "from connectmetrics.models import Queue; "
        f"Queue.objects.filter(name='Back Office').update(name={MARKUP_NAME!r}); print(1)"
    )
    try:
        tv = open_tv(context, demo)
        supervisor_page.goto(demo.url("/wallboards/demo/"))
        for page, selector in ((supervisor_page, ".queue-table th.label"), (tv, ".tile-name")):
            page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
            wait_until(
                partial(shows_text, page.locator(selector), MARKUP_NAME),
                timeout=10,
                message="the renamed queue did not appear",
            )
            assert page.locator("img[src=x], .tile-name b, th.label b").count() == 0
            assert page.evaluate("window.pwned") is None
    finally:
        demo.shell(
            "from connectmetrics.models import Queue; "
            f"Queue.objects.filter(name={MARKUP_NAME!r}).update(name='Back Office'); print(1)"
        )
