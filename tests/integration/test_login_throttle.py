"""Password guessing on both sign-in pages is throttled (django-axes): after 5 wrong passwords
for one user name from one address that pair is refused, even with the right password, until
the 15-minute cool-off ends; the count lives in the database, so every web process sees it
(tests/e2e/test_login_throttle_two_servers.py)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

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
