"""/healthz tells the truth: healthy while polls are good, 503 with the reason in words when
polling fails (the simulator's faults) or Redis is gone, and nothing secret either way; anyone
learns only ok or not, staff and the METRICS_TOKEN bearer get the details."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import QueueFilter
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.simulator import set_faults
from tests.conftest import free_port
from tests.simulated_centre import demo_filter, simulated_instance

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db


def no_screens(queue_filter_id: int, text: str) -> None:
    """Nothing is watching: these tests ask /healthz."""


METRICS_TOKEN = "health-tests-metrics-token"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture(autouse=True)
def metrics_token(settings: Settings) -> None:
    settings.METRICS_TOKEN = METRICS_TOKEN


def healthz(
    query: str = "", *, client: Client | None = None, **headers: Any
) -> tuple[int, dict[str, Any]]:
    """/healthz as the monitoring system with the METRICS_TOKEN bearer asks it, unless
    other headers are given."""
    response = (client or Client()).get(f"/healthz{query}", **(headers or BEARER))
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response.status_code, json.loads(response.content)


@pytest.fixture
def queue_filter(redis_mode: str) -> QueueFilter:
    return demo_filter(simulated_instance())


def test_healthy_after_a_good_poll(queue_filter: QueueFilter) -> None:
    assert poll_source(queue_filter.source_key, publish=no_screens).step is Step.OK
    status, body = healthz()
    assert status == 200
    assert body["status"] == "ok" and body["reasons"] == []
    assert body["mode"] == "redis"
    assert body["database"] == {"ok": True, "detail": ""}
    assert body["redis"] == {"ok": True, "detail": ""}
    assert body["broker"] == {"ok": True, "detail": "0 tasks waiting"}
    (polled,) = body["queue_filters"]
    assert polled["name"] == "All queues" and polled["instance"] == "Simulated centre"
    assert polled["ok"] is True and polled["limit_seconds"] == 30  # max(3 x 5 s, 30 s)
    assert 0 <= polled["last_good_poll_age_seconds"] < 5


def test_anyone_learns_only_ok_or_not(queue_filter: QueueFilter) -> None:
    anonymous = {"HTTP_USER_AGENT": "curl"}
    assert healthz(**anonymous) == (503, {"status": "error"})  # not polled yet
    assert healthz(HTTP_AUTHORIZATION="Bearer a-guess") == (503, {"status": "error"})
    poll_source(queue_filter.source_key, publish=no_screens)
    assert healthz(**anonymous) == (200, {"status": "ok"})
    assert healthz("?scope=web", **anonymous) == (200, {"status": "ok"})


def test_staff_signed_in_get_the_details_and_other_users_do_not(
    queue_filter: QueueFilter,
) -> None:
    supervisor, staff = Client(), Client()
    supervisor.force_login(User.objects.create_user("supervisor", password="x"))
    staff.force_login(User.objects.create_user("admin", password="x", is_staff=True))
    anonymous = {"HTTP_USER_AGENT": "browser"}
    assert healthz(client=supervisor, **anonymous) == (503, {"status": "error"})
    status, body = healthz(client=staff, **anonymous)
    assert status == 503
    assert body["reasons"] == ["queue filter 'All queues' of 'Simulated centre': not polled yet"]
    User.objects.filter(username="admin").update(is_active=False)
    assert healthz(client=staff, **anonymous) == (503, {"status": "error"})


def test_a_filter_not_polled_yet_is_not_healthy(queue_filter: QueueFilter) -> None:
    status, body = healthz()
    assert status == 503
    assert body["reasons"] == ["queue filter 'All queues' of 'Simulated centre': not polled yet"]


def test_disabled_filters_and_instances_are_not_expected_to_poll(
    queue_filter: QueueFilter,
) -> None:
    QueueFilter.objects.update(enabled=False)
    status, body = healthz()
    assert (status, body["queue_filters"]) == (200, [])
    QueueFilter.objects.update(enabled=True)
    queue_filter.instance.enabled = False
    queue_filter.instance.save()
    status, body = healthz()
    assert (status, body["queue_filters"]) == (200, [])


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("access_denied", "Access to the Connect instance was denied"),
        ("not_found", "The Connect instance was not found"),
    ],
)
def test_a_setup_error_is_unhealthy_at_once_in_words_without_aws_details(
    queue_filter: QueueFilter, redis_mode: str, fault: str, words: str
) -> None:
    poll_source(queue_filter.source_key, publish=no_screens)
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, **{fault: True})
    assert poll_source(queue_filter.source_key, publish=no_screens).step is Step.FAILED
    status, body = healthz()
    assert status == 503
    assert body["reasons"] == [
        f"queue filter 'All queues' of 'Simulated centre': {words}; "
        "an administrator needs to check the Connect settings"
    ]
    # The admin shows AWS's own message; the public endpoint does not.
    queue_filter.refresh_from_db()
    assert "(simulated" in queue_filter.last_error_message
    assert "simulated" not in json.dumps(body).replace("Simulated centre", "")


def test_throttling_is_ridden_out_until_the_numbers_are_too_old(
    queue_filter: QueueFilter, redis_mode: str
) -> None:
    poll_source(queue_filter.source_key, publish=no_screens)
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, throttle=1.0)
    assert poll_source(queue_filter.source_key, publish=no_screens).step is Step.FAILED
    status, body = healthz()
    assert status == 200
    assert body["queue_filters"][0]["reason"] == (
        "riding out a failed poll: Amazon Connect is throttling requests"
    )
    QueueFilter.objects.update(last_success_at=timezone.now() - timedelta(seconds=31))
    status, body = healthz()
    assert status == 503
    assert body["reasons"] == [
        "queue filter 'All queues' of 'Simulated centre': no good poll for 31 s (limit 30 s); "
        "Amazon Connect is throttling requests"
    ]


def test_the_limit_grows_with_long_intervals(queue_filter: QueueFilter) -> None:
    poll_source(queue_filter.source_key, publish=no_screens)
    queue_filter.instance.poll_interval = 60
    queue_filter.instance.save()
    QueueFilter.objects.update(last_success_at=timezone.now() - timedelta(seconds=170))
    status, body = healthz()
    assert (status, body["queue_filters"][0]["limit_seconds"]) == (200, 180)


def test_redis_gone_is_unhealthy_naming_redis_and_the_broker(
    queue_filter: QueueFilter, settings: Settings
) -> None:
    poll_source(queue_filter.source_key, publish=no_screens)
    gone = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = gone
    status, body = healthz()
    assert status == 503
    assert body["redis"] == {"ok": False, "detail": "unreachable (ConnectionError)"}
    assert body["broker"] == {"ok": False, "detail": "unreachable (it is the same Redis)"}
    assert body["queue_filters"][0]["ok"] is True  # the database still says when it last polled
    assert "127.0.0.1" not in json.dumps(body)  # no addresses, no exception messages


def test_embedded_mode_has_no_redis_and_says_so(embedded_mode: None) -> None:
    status, body = healthz()
    assert status == 200
    assert body["mode"] == "embedded"
    for part in ("redis", "broker"):
        assert body[part]["ok"] is True and body[part]["detail"].startswith("embedded")


def test_the_web_scope_leaves_the_poller_out_for_load_balancers(
    queue_filter: QueueFilter,
) -> None:
    assert healthz()[0] == 503  # not polled yet
    status, body = healthz("?scope=web")
    assert (status, body["queue_filters"]) == (200, [])
    response = Client().get("/healthz?scope=everything")
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "status": "error",
        "reasons": ["scope: must be 'all' or 'web'"],
    }


def test_probes_are_answered_whatever_the_host_and_over_plain_http(
    embedded_mode: None, settings: Settings
) -> None:
    settings.ALLOWED_HOSTS = ["wallboard.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    inside = {"HTTP_HOST": "172.18.0.5:8000"}  # how compose's healthcheck or Prometheus ask
    assert healthz(**inside)[0] == 200
    assert Client().get("/metrics", **inside).status_code == 200
    assert Client().get("/accounts/login/", **inside).status_code == 400
    page = Client().get("/accounts/login/", HTTP_HOST="wallboard.example.com")
    assert (page.status_code, page["Location"]) == (
        301,
        "https://wallboard.example.com/accounts/login/",
    )
    assert Client().post("/healthz").status_code == 405
