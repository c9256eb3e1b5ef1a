"""Display tokens open only their own wallboard, and a screen that loses its access (a
revoked token, a supervisor taken off or signed out) stops at once and says why."""

from playwright.sync_api import Browser, BrowserContext, WebSocket, expect

from tests.browser import DemoSite, admin_page, new_context, open_tv, sign_in


def test_display_tokens_open_only_their_own_wallboard(
    context: BrowserContext, demo: DemoSite
) -> None:
    page = open_tv(context, demo)
    assert page.locator(".tile").count() > 0
    assert "/accounts/login/" not in page.url
    other = demo.issue_token("demo-channels", "Channels TV")
    response = page.goto(demo.url(f"/wallboards/demo/tv/?token={other}"))
    assert response is not None and response.status == 403
    expect(page.locator(".refusal-heading")).to_have_text(
        "This screen's display token is not valid for this wallboard"
    )
    revoked = demo.issue_token("demo", "Old TV")
    demo.shell(
        "from dashboard.models import DisplayToken; "
        "DisplayToken.objects.get(label='Old TV').revoke(); print(1)"
    )
    response = page.goto(demo.url(f"/wallboards/demo/tv/?token={revoked}"))
    assert response is not None and response.status == 403
    expect(page.locator(".refusal-heading")).to_have_text("This screen's link was revoked")


def test_revoking_a_token_stops_its_screen_at_once_and_says_why(
    browser: Browser,
    context: BrowserContext,
    demo: DemoSite,
) -> None:
    raw = demo.issue_token("demo", "Floor 3 TV")
    token_id = demo.shell(
        "from dashboard.models import DisplayToken; "
        "print(DisplayToken.objects.get(label='Floor 3 TV').pk)"
    )
    tv_context = new_context(browser)
    try:
        tv = tv_context.new_page()
        tv.goto(demo.url(f"/wallboards/demo/tv/?token={raw}"))
        tv.wait_for_selector("body[data-freshness=live]", timeout=20_000)
        admin = admin_page(context, demo)
        admin.goto(demo.url("/admin/dashboard/displaytoken/"))
        admin.check(f"input[name=_selected_action][value='{token_id}']")
        admin.select_option("select[name=action]", "revoke")
        admin.click("button[name=index]")
        expect(tv.locator("#refusal")).to_be_visible(timeout=5_000)
        expect(tv.locator("#refusal .refusal-heading")).to_have_text(
            "This screen's link was revoked"
        )
        # It stops: no new socket is opened after the refusal.
        sockets: list[WebSocket] = []
        tv.on("websocket", lambda socket: sockets.append(socket))
        tv.wait_for_timeout(3_000)
        assert sockets == []
    finally:
        tv_context.close()


def test_a_supervisor_taken_off_a_wallboard_or_signed_out_sees_why_at_once(
    browser: Browser,
    context: BrowserContext,
    demo: DemoSite,
) -> None:
    demo.shell(
        "from django.contrib.auth.models import User; from dashboard.models import Wallboard; "
        "board = Wallboard.objects.get(slug='demo'); "
        "[board.viewers.add(User.objects.create_user(name, password='pw-for-a-viewer')) "
        "for name in ('leaving-viewer', 'staying-viewer')]; print(1)"
    )
    viewer_context = new_context(browser)
    try:
        leaving = viewer_context.new_page()
        sign_in(leaving, demo, "leaving-viewer", "pw-for-a-viewer")
        leaving.goto(demo.url("/wallboards/demo/"))
        leaving.wait_for_selector("body[data-freshness=live]", timeout=20_000)
        admin = admin_page(context, demo)
        wallboard_id = demo.shell(
            "from dashboard.models import Wallboard; print(Wallboard.objects.get(slug='demo').pk)"
        )
        admin.goto(demo.url(f"/admin/dashboard/wallboard/{wallboard_id}/change/"))
        admin.dblclick("#id_viewers_to option:text-is('leaving-viewer')")
        admin.click("input[name=_save]")
        expect(admin.locator(".messagelist .success")).to_be_visible()
        expect(leaving.locator("#refusal .refusal-heading")).to_have_text(
            "You no longer have access to this wallboard", timeout=5_000
        )
    finally:
        viewer_context.close()
    # Signing out in another tab of the same browser stops its open wallboard.
    viewer_context = new_context(browser)
    try:
        staying = viewer_context.new_page()
        sign_in(staying, demo, "staying-viewer", "pw-for-a-viewer")
        staying.goto(demo.url("/wallboards/demo/"))
        staying.wait_for_selector("body[data-freshness=live]", timeout=20_000)
        other_tab = viewer_context.new_page()
        other_tab.goto(demo.url("/wallboards/"))
        other_tab.click("button:text-is('Sign out')")
        expect(staying.locator("#refusal .refusal-heading")).to_have_text(
            "You are signed out", timeout=5_000
        )
    finally:
        viewer_context.close()
