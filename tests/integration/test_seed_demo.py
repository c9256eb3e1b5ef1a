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

from connectmetrics.agents.models import Agent, AgentSource
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance, QueueFilter, RoutingProfile, Threshold
from dashboard.models import DisplayToken, Panel, Wallboard

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
        (),  # the agents wallboard's centre totals
    }
    directions = dict(
        Threshold.objects.filter(queue__isnull=True).values_list("metric", "direction")
    )
    assert directions["AGENTS_AVAILABLE"] == "lower_is_worse"
    assert directions["CONTACTS_IN_QUEUE"] == directions["OLDEST_CONTACT_AGE"] == "higher_is_worse"
    demo = Wallboard.objects.get(slug="demo")
    assert [w.slug for w in demo.rotation.all()] == ["demo-channels"]
    # The demo TV shows two panels at once: every queue, and the priority queues.
    assert [
        (p.queue_filter.name, p.layout, p.queue_filter.queues.count()) for p in demo.panels.all()
    ] == [
        ("All queues", "tiles", 20),
        ("Priority queues", "tiles", 4),
    ]
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
    models = (ConnectInstance, QueueFilter, Threshold, Wallboard, Panel)
    counts = [m.objects.count() for m in models]
    second = seed()
    assert [m.objects.count() for m in models] == counts
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


def test_the_agents_wallboard_shows_the_floor_beside_the_centre_totals(
    embedded_mode: None,
) -> None:
    output = seed("--host", "10.0.0.5", "--port", "9000")
    agents = Wallboard.objects.get(slug="agents")
    panels = list(agents.panels.all())
    assert [(p.layout, p.queue_filter is not None, p.agent_source is not None) for p in panels] == [
        ("tiles", True, False),
        ("agents", False, True),
    ]
    assert panels[0].queue_filter is not None and panels[0].queue_filter.groupings == []
    floor = panels[1].agent_source
    assert floor is not None and floor.routing_profiles.count() == 3
    # The agents' names are read at once, not a minute later.
    assert Agent.objects.filter(instance=floor.instance).count() == 300
    url = re.search(r"Agents TV view:\s+(\S+)", output)
    assert url and url.group(1).startswith("http://10.0.0.5:9000/wallboards/agents/tv/?token=")
    token = parse_qs(urlparse(url.group(1)).query)["token"][0]
    assert DisplayToken.by_secret(token, wallboard=agents) is not None
    # Again: nothing doubled.
    seed()
    assert agents.panels.count() == 2 and AgentSource.objects.count() == 1
