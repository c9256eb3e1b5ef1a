"""`make demo`'s `today` wallboard: the live centre totals beside today's KPIs for the
demo queues, each queue at its own service-level threshold and target, a TV URL
printed like the others, and nothing doubled by a second run."""

import re
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.fixtures import Settings

from connectmetrics.today import rules
from connectmetrics.today.models import TodayQueue, TodaySource
from dashboard.management.commands.seed_demo import TODAY_QUEUES
from dashboard.models import DisplayToken, Wallboard

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.polling_support"]


@pytest.fixture(autouse=True)
def quick_passwords(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_the_today_wallboard_shows_live_totals_beside_todays_kpis(embedded_mode: None) -> None:
    output = seed("--host", "10.0.0.5", "--port", "9000")
    today = Wallboard.objects.get(slug="today")
    panels = list(today.panels.all())
    assert [(p.layout, p.queue_filter is not None, p.today_source is not None) for p in panels] == [
        ("tiles", True, False),
        ("today", False, True),
    ]
    assert panels[0].queue_filter is not None and panels[0].queue_filter.groupings == []
    source = panels[1].today_source
    assert source is not None
    chosen = {q.queue.name: q for q in TodayQueue.objects.filter(source=source)}
    assert set(chosen) == set(TODAY_QUEUES)
    instance = source.instance
    for name, own in TODAY_QUEUES.items():
        threshold, target = own or (instance.service_level_threshold, instance.service_level_target)
        assert chosen[name].threshold_or(instance) == threshold
        assert chosen[name].target_or(instance) == target
    assert rules.check(source.plan(), timezone.now()) == []
    url = re.search(r"Today TV view:\s+(\S+)", output)
    assert url and url.group(1).startswith("http://10.0.0.5:9000/wallboards/today/tv/?token=")
    token = parse_qs(urlparse(url.group(1)).query)["token"][0]
    assert DisplayToken.by_secret(token, wallboard=today) is not None
    # Again: nothing doubled.
    seed()
    assert today.panels.count() == 2 and TodaySource.objects.count() == 1
    assert TodayQueue.objects.count() == len(TODAY_QUEUES)
