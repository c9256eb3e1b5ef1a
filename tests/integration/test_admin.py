"""The admin: an admin can set up a simulated instance, discover it, build a queue filter by
name, add thresholds and test the connection; every broken rule is a form error, never a 500."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectmetrics.client import client as client_module
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance, Queue, QueueFilter, RoutingProfile
from connectmetrics.simulator import CONTROL_URL_ENV, set_faults

ARN = f"arn:aws:connect:eu-west-2:123456789012:instance/{SIMULATED_INSTANCE_ID}"


@pytest.fixture
def admin_client(db: None) -> Client:
    user = User.objects.create_superuser("boss", "boss@example.com", "a-long-password-1")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def simulated(db: None) -> ConnectInstance:
    instance = ConnectInstance.objects.create(
        name="Demo centre",
        region="eu-west-2",
        instance_id=SIMULATED_INSTANCE_ID,
        access_mode=AccessMode.SIMULATED,
    )
    discover(instance)
    return instance


def instance_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Demo centre",
        "region": "eu-west-2",
        "instance_ref": SIMULATED_INSTANCE_ID,
        "access_mode": "simulated",
        "role_arn": "",
        "external_id": "",
        "simulator_seed": "7",
        "simulator_queues": "20",
        "simulator_agents": "60",
        "poll_interval": "5",
        "enabled": "on",
        "time_zone": "UTC",
        "service_level_threshold": "20",
        "service_level_target": "80",
    }
    data.update(overrides)
    return data


def filter_form(instance: ConnectInstance, **overrides: Any) -> dict[str, Any]:
    queues = list(instance.queues.values_list("pk", flat=True)[:3])
    data: dict[str, Any] = {
        "name": "Sales floor",
        "instance": str(instance.pk),
        "queues": [str(pk) for pk in queues],
        "routing_profiles": [],
        "channels": ["VOICE", "CHAT"],
        "primary_grouping": "QUEUE",
        "secondary_grouping": "",
        "metrics": ["AGENTS_ONLINE", "AGENTS_AVAILABLE", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE"],
        "sort_metric": "",
        "sort_order": "DESCENDING",
        "enabled": "on",
        "thresholds-TOTAL_FORMS": "1",
        "thresholds-INITIAL_FORMS": "0",
        "thresholds-MIN_NUM_FORMS": "0",
        "thresholds-MAX_NUM_FORMS": "1000",
        "thresholds-0-metric": "CONTACTS_IN_QUEUE",
        "thresholds-0-queue": "",
        "thresholds-0-direction": "higher_is_worse",
        "thresholds-0-warning": "5",
        "thresholds-0-critical": "10",
    }
    data.update(overrides)
    return data


def errors_of(response: Any) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {field: [str(e) for e in errs] for field, errs in form.errors.items()}


def test_instance_given_as_arn_stores_id_and_arn(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:connectmetrics_connectinstance_add"), instance_form(instance_ref=ARN)
    )
    assert response.status_code == 302
    instance = ConnectInstance.objects.get()
    assert (instance.instance_id, instance.instance_arn) == (SIMULATED_INSTANCE_ID, ARN)
    assert instance.account_id == "123456789012"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"instance_ref": "not-an-instance"}, "instance_ref"),
        ({"region": "mars-north-1"}, "region"),
        ({"poll_interval": "0"}, "poll_interval"),
        ({"access_mode": "assume_role", "role_arn": ""}, "role_arn"),
        ({"access_mode": "assume_role", "role_arn": "arn:aws:iam::12:role/x"}, "role_arn"),
        ({"instance_ref": ARN, "region": "us-east-1"}, "region"),
    ],
)
def test_instance_form_errors_name_the_field(
    admin_client: Client, overrides: dict[str, str], field: str
) -> None:
    response = admin_client.post(
        reverse("admin:connectmetrics_connectinstance_add"), instance_form(**overrides)
    )
    assert response.status_code == 200
    assert field in errors_of(response)
    assert not ConnectInstance.objects.exists()


def test_no_aws_secret_can_be_stored() -> None:
    # Its own columns: the access keys the drop-in endpoint issues point at instances.
    names = {f.name for f in ConnectInstance._meta.get_fields() if f.concrete}
    assert not any("secret" in name or "access_key" in name for name in names)


def test_discover_action_fills_queues_and_routing_profiles(admin_client: Client, db: None) -> None:
    instance = ConnectInstance.objects.create(
        name="Demo",
        region="eu-west-2",
        instance_id=SIMULATED_INSTANCE_ID,
        access_mode=AccessMode.SIMULATED,
    )
    response = admin_client.post(
        reverse("admin:connectmetrics_connectinstance_changelist"),
        {"action": "discover_catalogue", "_selected_action": [instance.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert Queue.objects.filter(instance=instance).count() == 20
    assert RoutingProfile.objects.filter(instance=instance).count() == 3
    assert "Found 20 queues (20 new) and 3 routing profiles (3 new)." in text


def test_test_connection_reports_success_and_failure_in_words(
    admin_client: Client,
    simulated: ConnectInstance,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CONTROL_URL_ENV, redis_url)
    monkeypatch.setattr(client_module, "_clients", {})
    url = reverse("admin:connectmetrics_connectinstance_changelist")
    response = admin_client.post(
        url, {"action": "test_connection", "_selected_action": [simulated.pk]}, follow=True
    )
    assert "connected to eu-west-2" in response.content.decode()

    set_faults(redis_url, SIMULATED_INSTANCE_ID, not_found=True)
    response = admin_client.post(
        url, {"action": "test_connection", "_selected_action": [simulated.pk]}, follow=True
    )
    assert "The Connect instance was not found" in response.content.decode()
    assert (
        ConnectInstance.objects.get(pk=simulated.pk).last_error_class == "ResourceNotFoundException"
    )


def test_queue_filter_built_by_name_with_a_threshold(
    admin_client: Client, simulated: ConnectInstance
) -> None:
    page = admin_client.get(reverse("admin:connectmetrics_queuefilter_add"))
    first_queue = simulated.queues.order_by("name").first()
    assert first_queue is not None and first_queue.name in page.content.decode()
    response = admin_client.post(
        reverse("admin:connectmetrics_queuefilter_add"), filter_form(simulated)
    )
    assert response.status_code == 302, errors_of(response)
    saved = QueueFilter.objects.get()
    assert saved.queues.count() == 3
    assert saved.thresholds.get().critical == 10
    assert saved.to_request()["Groupings"] == ["QUEUE"]


# Each rule of GetCurrentMetricData, broken in the admin, is an error on its field.
RULES = [
    (
        "queues and routing profiles together",
        {"routing_profiles": "ALL"},
        "queues|routing_profiles",
    ),
    (
        "channel grouping without channels",
        {"secondary_grouping": "CHANNEL", "channels": []},
        "primary_grouping|channels",
    ),
    ("duplicate grouping", {"secondary_grouping": "QUEUE"}, "primary_grouping"),
    (
        "routing profile grouping needs a routing profile filter for in-queue metrics",
        {"primary_grouping": "ROUTING_PROFILE"},
        "primary_grouping|metrics|routing_profiles",
    ),
    (
        "agent status needs queue as primary grouping",
        {"primary_grouping": "AGENT_STATUS", "metrics": ["AGENTS_ONLINE"]},
        "primary_grouping",
    ),
    (
        "agent status grouping allows only agents online",
        {"secondary_grouping": "AGENT_STATUS"},
        "primary_grouping|metrics",
    ),
    (
        "sort on slots",
        {"metrics": ["SLOTS_ACTIVE", "AGENTS_ONLINE"], "sort_metric": "SLOTS_ACTIVE"},
        "sort_metric",
    ),
    ("no metric", {"metrics": []}, "metrics"),
    ("no queue nor routing profile", {"queues": []}, "queues|routing_profiles|__all__"),
]


@pytest.mark.parametrize(("rule", "overrides", "fields"), RULES, ids=[r[0] for r in RULES])
def test_each_rule_is_an_error_on_its_field(
    admin_client: Client,
    simulated: ConnectInstance,
    rule: str,
    overrides: dict[str, Any],
    fields: str,
) -> None:
    if overrides.get("routing_profiles") == "ALL":
        overrides["routing_profiles"] = [
            str(pk) for pk in simulated.routing_profiles.values_list("pk", flat=True)
        ]
    response = admin_client.post(
        reverse("admin:connectmetrics_queuefilter_add"), filter_form(simulated, **overrides)
    )
    assert response.status_code == 200, rule
    errors = errors_of(response)
    assert set(errors) & set(fields.split("|")), (rule, errors)
    assert not QueueFilter.objects.exists()


def test_more_than_100_queues_is_refused(admin_client: Client, db: None) -> None:
    instance = ConnectInstance.objects.create(
        name="Big",
        region="eu-west-2",
        instance_id=SIMULATED_INSTANCE_ID,
        access_mode=AccessMode.SIMULATED,
        simulator_queues=101,
    )
    discover(instance)
    response = admin_client.post(
        reverse("admin:connectmetrics_queuefilter_add"),
        filter_form(
            instance, queues=[str(pk) for pk in instance.queues.values_list("pk", flat=True)]
        ),
    )
    assert response.status_code == 200
    assert "queues" in errors_of(response)


def test_queue_of_another_instance_is_refused(
    admin_client: Client, simulated: ConnectInstance
) -> None:
    other = ConnectInstance.objects.create(
        name="Other",
        region="eu-west-2",
        instance_id="00000000-0000-4000-8000-000000000002",
        access_mode=AccessMode.SIMULATED,
    )
    foreign = Queue.objects.create(instance=other, queue_id="q-x", name="Elsewhere")
    response = admin_client.post(
        reverse("admin:connectmetrics_queuefilter_add"),
        filter_form(simulated, queues=[str(foreign.pk)]),
    )
    assert "another Connect instance" in " ".join(errors_of(response)["queues"])


@pytest.mark.parametrize(
    ("direction", "warning", "critical"),
    [("higher_is_worse", "10", "5"), ("lower_is_worse", "1", "3"), ("higher_is_worse", "5", "5")],
)
def test_warning_must_be_less_severe_than_critical(
    admin_client: Client, simulated: ConnectInstance, direction: str, warning: str, critical: str
) -> None:
    response = admin_client.post(
        reverse("admin:connectmetrics_queuefilter_add"),
        filter_form(
            simulated,
            **{
                "thresholds-0-direction": direction,
                "thresholds-0-warning": warning,
                "thresholds-0-critical": critical,
            },
        ),
    )
    assert response.status_code == 200
    formset_errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "critical" in formset_errors[0]
    assert not QueueFilter.objects.exists()


def test_threshold_on_a_metric_the_filter_does_not_fetch_is_refused(
    admin_client: Client, simulated: ConnectInstance
) -> None:
    response = admin_client.post(
        reverse("admin:connectmetrics_queuefilter_add"),
        filter_form(simulated, **{"thresholds-0-metric": "AGENTS_ERROR"}),
    )
    assert response.status_code == 200
    assert "metric" in response.context["inline_admin_formsets"][0].formset.errors[0]


def test_add_and_change_pages_open(admin_client: Client, simulated: ConnectInstance) -> None:
    queue_filter = QueueFilter.objects.create(name="All", instance=simulated)
    queue = simulated.queues.first()
    profile = simulated.routing_profiles.first()
    assert queue is not None and profile is not None
    for model, obj in [
        ("connectinstance", simulated),
        ("queuefilter", queue_filter),
        ("queue", queue),
        ("routingprofile", profile),
    ]:
        for url in (
            reverse(f"admin:connectmetrics_{model}_changelist"),
            reverse(f"admin:connectmetrics_{model}_add"),
            reverse(f"admin:connectmetrics_{model}_change", args=[obj.pk]),
        ):
            assert admin_client.get(url).status_code == 200, url


text = st.text(max_size=300)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "name": text,
            "region": text,
            "instance_ref": text,
            "access_mode": text,
            "role_arn": text,
            "external_id": text,
            "simulator_seed": text,
            "poll_interval": text,
        },
    )
)
def test_no_input_gives_a_500_on_the_instance_form(
    admin_client: Client, data: dict[str, str]
) -> None:
    response = admin_client.post(reverse("admin:connectmetrics_connectinstance_add"), data)
    assert response.status_code in (200, 302)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "name": text,
            "instance": text,
            "queues": st.lists(text, max_size=3),
            "channels": st.lists(
                st.sampled_from(["VOICE", "CHAT", "TASK", "EMAIL", "FAX", ""]), max_size=5
            ),
            "primary_grouping": text
            | st.sampled_from(["QUEUE", "CHANNEL", "ROUTING_PROFILE", "AGENT_STATUS"]),
            "secondary_grouping": text
            | st.sampled_from(["QUEUE", "CHANNEL", "ROUTING_PROFILE", "SUBTYPE"]),
            "metrics": st.lists(
                text | st.sampled_from(["AGENTS_ONLINE", "SLOTS_ACTIVE"]), max_size=4
            ),
            "sort_metric": text,
            "sort_order": text,
            "thresholds-TOTAL_FORMS": st.sampled_from(["0", "1", "x", ""]),
            "thresholds-INITIAL_FORMS": st.sampled_from(["0", "x"]),
            "thresholds-0-warning": text,
            "thresholds-0-critical": text,
            "thresholds-0-metric": text,
            "thresholds-0-direction": text | st.sampled_from(["higher_is_worse", "lower_is_worse"]),
            "thresholds-0-queue": text,
        },
    )
)
def test_no_input_gives_a_500_on_the_queue_filter_form(
    admin_client: Client, simulated: ConnectInstance, data: dict[str, Any]
) -> None:
    response = admin_client.post(reverse("admin:connectmetrics_queuefilter_add"), data)
    assert response.status_code in (200, 302)
