"""Password guessing: the count of wrong passwords lives in the database, so two real web
processes share it (the throttle itself: tests/integration/test_login_throttle.py)."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.processes import Stack

LIMIT = 5
PASSWORD = "the-right-password-1"


class Browser:
    """A cookie jar and a form post, as a browser signs in on the real pages."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )

    def sign_in(self, page: str, password: str) -> int:
        form = self.opener.open(self.base_url + page, timeout=10).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        assert csrf is not None, form
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf.group(1), "username": "boss", "password": password}
        ).encode()
        request = urllib.request.Request(
            self.base_url + page, data=body, headers={"Referer": self.base_url + page}
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_two_web_processes_share_the_count_on_the_real_pages(tmp_path: Path) -> None:
    stack = Stack(tmp_path, redis_url=None, env={"EMBEDDED_POLLER": "0"})
    stack.manage("migrate", "--noinput")
    stack.shell(
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user('boss', password='{PASSWORD}', is_staff=True)"
    )
    first, second = stack.start("web"), stack.start("web")
    try:
        first.wait_ready()
        second.wait_ready()
        on_first, on_second = Browser(first.url), Browser(second.url)
        statuses = [on_first.sign_in("/accounts/login/", "a-guess") for _ in range(3)]
        statuses += [on_second.sign_in("/admin/login/", "a-guess") for _ in range(LIMIT - 3)]
        assert statuses == [200] * (LIMIT - 1) + [429]
        assert on_first.sign_in("/accounts/login/", PASSWORD) == 429
        assert on_second.sign_in("/admin/login/", PASSWORD) == 429
        assert "sessionid" not in {cookie.name for cookie in on_first.cookies}
    finally:
        stack.stop_all()
