"""seed_demo: a simulated centre ready to look at, made once and reused after."""

import re
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.http import HttpRequest
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from connectmetrics import rules
from connectmetrics.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance, QueueFilter, RoutingProfile, Threshold
from dashboard.models import DisplayToken, Wallboard

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.polling_support"]


def sign_in_request() -> HttpRequest:
    """Signing in asks django-axes, which needs the request (its address)."""
    return RequestFactory().post("/accounts/login/")


@pytest.fixture(autouse=True)
def quick_passwords(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def tv_token(output: str) -> str:
    url = re.search(r"TV view:\s+(\S+)", output)
    assert url, output
    return parse_qs(urlparse(url.group(1)).query)["token"][0]


def test_a_fresh_database_gets_a_whole_demo(embedded_mode: None) -> None:
    output = seed("--host", "10.0.0.5", "--port", "9000")
    instance = ConnectInstance.objects.get()
    assert instance.instance_id == SIMULATED_INSTANCE_ID and instance.access_mode == "simulated"
    assert instance.queues.count() == 20
    channels = set()
    for queue_filter in QueueFilter.objects.all():
        request = {**queue_filter.to_request(), "InstanceId": instance.instance_id}
        assert rules.check_request(request) == [], queue_filter.name
        channels |= set(queue_filter.channels)
    assert channels == {"VOICE", "CHAT", "TASK"}
    assert RoutingProfile.objects.count() == 3
    assert {tuple(f.groupings) for f in QueueFilter.objects.all()} == {
        ("QUEUE",),
        ("QUEUE", "CHANNEL"),
    }
    directions = dict(
        Threshold.objects.filter(queue__isnull=True).values_list("metric", "direction")
    )
    assert directions["AGENTS_AVAILABLE"] == "lower_is_worse"
    assert directions["CONTACTS_IN_QUEUE"] == directions["OLDEST_CONTACT_AGE"] == "higher_is_worse"
    demo = Wallboard.objects.get(slug="demo")
    assert [w.slug for w in demo.rotation.all()] == ["demo-channels"]
    assert DisplayToken.by_secret(tv_token(output), wallboard=demo) is not None
    assert "http://10.0.0.5:9000/wallboards/demo/" in output
    assert "http://10.0.0.5:9000/wallboards/demo/tv/?token=" in output
    password = re.search(r"Admin login:\s+admin / (\S+)", output)
    assert password and authenticate(
        sign_in_request(), username="admin", password=password.group(1)
    )


def test_running_it_again_reuses_everything_and_never_reprints_the_password(
    embedded_mode: None,
) -> None:
    first = seed()
    counts = [m.objects.count() for m in (ConnectInstance, QueueFilter, Threshold, Wallboard)]
    second = seed()
    assert [
        m.objects.count() for m in (ConnectInstance, QueueFilter, Threshold, Wallboard)
    ] == counts
    old_password = re.search(r"admin / (\S+)", first)
    assert old_password and old_password.group(1) not in second
    assert "exists" in second and "changepassword admin" in second
    # A new TV URL each run; the old one keeps working.
    demo = Wallboard.objects.get(slug="demo")
    assert tv_token(first) != tv_token(second)
    assert DisplayToken.by_secret(tv_token(first), wallboard=demo) and DisplayToken.by_secret(
        tv_token(second), wallboard=demo
    )


def test_a_known_admin_password_can_be_given(embedded_mode: None) -> None:
    seed("--admin-password", "first-known-password")
    assert authenticate(sign_in_request(), username="admin", password="first-known-password")
    seed("--admin-password", "second-known-password")
    assert authenticate(sign_in_request(), username="admin", password="second-known-password")
