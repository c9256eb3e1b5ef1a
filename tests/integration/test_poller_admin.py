"""The poller's status in the admin tells the truth when polling fails (simulator faults), and
"Poll now" ends a rest and polls, in the full topology and in embedded mode."""

import html
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from connectmetrics.client import telemetry
from connectmetrics.client.outcomes import Outcome
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance, QueueFilter
from connectmetrics.poller import tasks
from connectmetrics.poller.backoff import backoff_state
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.simulator import set_faults
from tests.simulated_centre import demo_filter, simulated_instance

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db


def no_screens(queue_filter_id: int, text: str) -> None:
    """Nothing is watching: these tests read the admin."""


@pytest.fixture
def admin_client() -> Client:
    user = User.objects.create_superuser("boss", "boss@example.com", "a-long-password-1")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def queue_filter(redis_mode: str) -> QueueFilter:
    return demo_filter(simulated_instance())


def page_text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def filter_list(client: Client) -> str:
    return page_text(client, reverse("admin:connectmetrics_queuefilter_changelist"))


def run_action(client: Client, model: str, action: str, pk: int) -> list[str]:
    response = client.post(
        reverse(f"admin:connectmetrics_{model}_changelist"),
        {"action": action, "_selected_action": [str(pk)]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_a_good_poll_shows_when_and_how_many_calls(
    admin_client: Client, queue_filter: QueueFilter
) -> None:
    assert "Not polled yet" in filter_list(admin_client)
    poll_source(queue_filter.source_key, publish=no_screens)
    poll_source(queue_filter.source_key, publish=no_screens)
    text = filter_list(admin_client)
    assert "Polling" in text and "ago" in text
    row = text[text.index("All queues") :]
    # Last error, calls and throttles of the last hour, in that order in the row.
    assert row.index("none") < row.index(">2<") < row.index(">0<")


@pytest.mark.parametrize(
    ("fault", "words", "error_class"),
    [
        ("access_denied", "Access to the Connect instance was denied", "AccessDeniedException"),
        ("not_found", "The Connect instance was not found", "ResourceNotFoundException"),
        ("throttle", "Amazon Connect is throttling requests", "ThrottlingException"),
    ],
)
def test_a_failing_poll_says_why_in_words_with_the_error_class_and_message(
    admin_client: Client,
    queue_filter: QueueFilter,
    redis_mode: str,
    fault: str,
    words: str,
    error_class: str,
) -> None:
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, **{fault: True})
    assert poll_source(queue_filter.source_key, publish=no_screens).step is Step.FAILED
    text = filter_list(admin_client)
    assert "Failing; next poll after" in text
    assert f"{words} ({error_class}: " in text and "(simulated" in text
    instance_page = page_text(
        admin_client,
        reverse("admin:connectmetrics_connectinstance_change", args=[queue_filter.instance_id]),
    )
    assert f"{words} ({error_class}: " in instance_page
    # Its queue filters, each with its own state, on the instance's page too.
    filters_table = instance_page[instance_page.index("<th>Queue filter</th>") :]
    assert "<td>All queues</td><td>Failing; next poll after " in filters_table
    instances = page_text(admin_client, reverse("admin:connectmetrics_connectinstance_changelist"))
    assert "Failing" in instances
    throttled = 3 if fault == "throttle" else 0  # botocore's three attempts, each throttled
    hour = telemetry.last_hour()
    assert hour.of_instance(telemetry.What.THROTTLES, queue_filter.instance_id) == throttled
    row = instances[instances.index("Simulated centre") :]
    calls = hour.of_instance(telemetry.What.UPSTREAM_CALLS, queue_filter.instance_id)
    assert row.index(f">{calls}<") < row.index(f">{throttled}<", row.index(f">{calls}<") + 1)


def test_poll_now_ends_the_rest_and_polls_at_once(
    admin_client: Client,
    queue_filter: QueueFilter,
    redis_mode: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, access_denied=True)
    poll_source(queue_filter.source_key, publish=no_screens)
    assert poll_source(queue_filter.source_key, publish=no_screens).step is Step.RESTING
    set_faults(redis_mode, SIMULATED_INSTANCE_ID)  # the admin fixed the role
    enqueued: list[tuple[Any, ...]] = []

    def worker_runs_it(args: tuple[Any, ...], **options: Any) -> None:
        enqueued.append((args, options))
        tasks.poll_source_task.run(*args)

    monkeypatch.setattr(tasks.poll_source_task, "apply_async", worker_runs_it)
    messages = run_action(admin_client, "queuefilter", "poll_filter_now", queue_filter.pk)
    assert messages == ["'All queues' of 'Simulated centre' is being polled now."]
    assert enqueued == [(("queue_filter", queue_filter.pk), {"expires": 5})]
    queue_filter.refresh_from_db()
    assert queue_filter.last_error_message == "" and queue_filter.last_success_at is not None
    assert "Polling" in filter_list(admin_client)


def test_poll_now_on_an_instance_polls_its_enabled_filters(
    admin_client: Client,
    queue_filter: QueueFilter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo_filter(queue_filter.instance, name="Voice only")
    QueueFilter.objects.filter(name="Voice only").update(enabled=False)
    enqueued: list[int] = []
    monkeypatch.setattr(
        tasks.poll_source_task,
        "apply_async",
        lambda args, **options: enqueued.append(args[1]),
    )
    messages = run_action(
        admin_client, "connectinstance", "poll_instance_now", queue_filter.instance_id
    )
    assert enqueued == [queue_filter.pk]
    assert messages == ["'All queues' of 'Simulated centre' is being polled now."]


def test_poll_now_in_embedded_mode_ends_the_rest_for_the_next_slot(
    admin_client: Client, embedded_mode: None
) -> None:
    queue_filter = demo_filter(simulated_instance())
    backoff_state().record_failure(queue_filter.source_key, Outcome.ACCESS_DENIED, 5, "x")
    QueueFilter.objects.update(last_error_message="Access to the Connect instance was denied")
    messages = run_action(admin_client, "queuefilter", "poll_filter_now", queue_filter.pk)
    assert messages == [
        "'All queues' of 'Simulated centre' will be polled at its next turn, within 5 s."
    ]
    assert backoff_state().get(queue_filter.source_key) is None
    assert poll_source(queue_filter.source_key, publish=no_screens).step is Step.OK


def test_poll_now_refuses_a_disabled_filter(
    admin_client: Client, queue_filter: QueueFilter
) -> None:
    ConnectInstance.objects.update(enabled=False)
    messages = run_action(admin_client, "queuefilter", "poll_filter_now", queue_filter.pk)
    assert messages == [
        "'All queues' of 'Simulated centre' is disabled: enable it (and its instance) to poll it."
    ]


def test_the_admin_still_opens_when_redis_is_gone(
    admin_client: Client, queue_filter: QueueFilter, settings: Settings
) -> None:
    QueueFilter.objects.update(last_error_message="Amazon Connect could not be reached")
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    text = filter_list(admin_client)
    assert "unknown: Redis does not answer" in text
    messages = run_action(admin_client, "queuefilter", "poll_filter_now", queue_filter.pk)
    assert messages[0].startswith("'All queues' of 'Simulated centre' could not be polled now")
