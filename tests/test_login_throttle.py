"""Password guessing on both sign-in pages is throttled (django-axes): after 5 wrong passwords
for one user name from one address that pair is refused, even with the right password, until
the 15-minute cool-off ends; the count lives in the database, so every web process sees it."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from tests.processes import Stack

LIMIT = 5
PAGES = ["/accounts/login/", "/admin/login/"]
PASSWORD = "the-right-password-1"


def sign_in(client: Client, page: str, password: str, address: str = "192.0.2.10") -> int:
    response = client.post(page, {"username": "boss", "password": password}, REMOTE_ADDR=address)
    return response.status_code


@pytest.fixture
def boss(db: None) -> User:
    return User.objects.create_user("boss", password=PASSWORD, is_staff=True)


def test_the_documented_numbers_are_the_settings() -> None:
    numbers = (settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME)
    assert numbers == (LIMIT, timedelta(minutes=15))


@pytest.mark.parametrize("page", PAGES)
def test_wrong_passwords_lock_out_even_the_right_one_until_the_cool_off(
    boss: User, page: str
) -> None:
    client = Client()
    for _ in range(LIMIT - 1):
        assert sign_in(client, page, "a-guess") == 200  # the form again, with its error
    assert sign_in(client, page, "a-guess") == 429
    locked = client.post(page, {"username": "boss", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The cool-off ends.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - (settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
    )
    assert sign_in(client, page, PASSWORD) == 302
    assert client.session["_auth_user_id"] == str(boss.pk)


def test_the_lockout_is_for_that_user_name_from_that_address_only(boss: User) -> None:
    User.objects.create_user("colleague", password=PASSWORD)
    for _ in range(LIMIT):
        sign_in(Client(), PAGES[0], "a-guess")
    assert sign_in(Client(), PAGES[0], PASSWORD) == 429
    # Someone else behind the same NAT signs in; the same user from elsewhere too.
    colleague = Client().post(
        PAGES[0], {"username": "colleague", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10"
    )
    assert colleague.status_code == 302
    assert sign_in(Client(), PAGES[0], PASSWORD, address="198.51.100.7") == 302


def test_a_right_password_before_the_limit_starts_the_count_again(boss: User) -> None:
    for _ in range(LIMIT - 1):
        sign_in(Client(), PAGES[0], "a-guess")
    assert sign_in(Client(), PAGES[0], PASSWORD) == 302
    for _ in range(LIMIT - 1):
        assert sign_in(Client(), PAGES[0], "a-guess") == 200


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


@pytest.mark.e2e
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
