"""The admin of today sources and of the instance's day: a time zone that is not an
IANA name, a threshold out of GetMetricDataV2's range, no queues, or an instance whose
ARN is not known yet, each an error on the page naming the field, never a 500."""

import pytest
from django.test import Client

from connectmetrics.forms import ConnectInstanceForm
from connectmetrics.models import AccessMode, ConnectInstance
from connectmetrics.today.models import TodaySource
from tests.today_support import today_centre

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre(embedded_mode: None) -> ConnectInstance:
    return today_centre(time_zone="Europe/London")


def instance_form(centre: ConnectInstance, **data: object) -> ConnectInstanceForm:
    fields = {
        "name": centre.name,
        "region": centre.region,
        "instance_ref": centre.instance_id,
        "access_mode": AccessMode.SIMULATED,
        "simulator_seed": "7",
        "simulator_queues": "20",
        "simulator_agents": "120",
        "poll_interval": "5",
        "enabled": "on",
        "time_zone": "Europe/London",
        "service_level_threshold": "20",
        "service_level_target": "80",
        **data,
    }
    return ConnectInstanceForm(data=fields, instance=centre)


def test_the_instances_day_settings_are_checked_on_their_fields(centre: ConnectInstance) -> None:
    assert instance_form(centre).is_valid(), instance_form(centre).errors
    zone = instance_form(centre, time_zone="Europe/Atlantis")
    assert not zone.is_valid() and "IANA" in " ".join(zone.errors["time_zone"])
    threshold = instance_form(centre, service_level_threshold="700000")
    assert not threshold.is_valid() and "service_level_threshold" in threshold.errors
    target = instance_form(centre, service_level_target="120")
    assert not target.is_valid() and "service_level_target" in target.errors


def post_source(
    admin_client: Client, centre: ConnectInstance, queues: list[tuple[int, str]], **more: object
) -> bytes:
    data: dict[str, object] = {
        "name": "Today",
        "instance": centre.pk,
        "enabled": "on",
        "grouping": "QUEUE",
        "metrics": "SERVICE_LEVEL, CONTACTS_HANDLED, CONTACTS_ABANDONED",
        **more,
        "queues-TOTAL_FORMS": str(len(queues)),
        "queues-INITIAL_FORMS": "0",
        "queues-MIN_NUM_FORMS": "0",
        "queues-MAX_NUM_FORMS": "1000",
    }
    for at, (queue, threshold) in enumerate(queues):
        data[f"queues-{at}-queue"] = queue
        data[f"queues-{at}-service_level_threshold"] = threshold
        data[f"queues-{at}-service_level_target"] = ""
    answer = admin_client.post("/admin/today/todaysource/add/", data)
    assert answer.status_code in (200, 302)
    return answer.content if answer.status_code == 200 else b""


def test_a_today_source_is_saved_with_its_queues_thresholds(
    centre: ConnectInstance, admin_client: Client
) -> None:
    vip, email = centre.queues.filter(queue_type="STANDARD").order_by("name")[:2]
    assert post_source(admin_client, centre, [(vip.pk, "10"), (email.pk, "")]) == b""
    source = TodaySource.objects.get(name="Today")
    assert [q.resource_id for q in source.plan().rows] == [vip.queue_id, email.queue_id]
    assert [q.threshold for q in source.plan().rows] == [10, 30]  # the instance's, 30 s
    # Once saved, only its instance's queues are offered.
    other = ConnectInstance.objects.create(name="Other centre", instance_id="other")
    other.queues.create(queue_id="q-elsewhere", name="Queue of another centre")
    page = admin_client.get(f"/admin/today/todaysource/{source.pk}/change/")
    assert page.status_code == 200
    assert vip.name.encode() in page.content and b"Queue of another centre" not in page.content
    assert admin_client.get("/admin/today/todaysource/").status_code == 200


def test_each_broken_rule_is_shown_naming_its_field(
    centre: ConnectInstance, admin_client: Client
) -> None:
    queue = centre.queues.filter(queue_type="STANDARD").first()
    assert queue is not None
    too_long = post_source(admin_client, centre, [(queue.pk, "700000")])
    assert b"errorlist" in too_long and b"604800" in too_long
    none = post_source(admin_client, centre, [])
    assert b"Choose at least one queue." in none
    # An instance whose account is not known yet: no ARN to ask GetMetricDataV2 with.
    ConnectInstance.objects.filter(pk=centre.pk).update(instance_arn="")
    centre.queues.update(arn="")
    centre.routing_profiles.update(arn="")
    no_arn = post_source(admin_client, centre, [(queue.pk, "")])
    assert b"Instance (its ARN: discover its queues first): ResourceArn" in no_arn
    assert not TodaySource.objects.exists()


def test_a_source_of_routing_profiles_is_saved_with_its_metrics_in_order(
    centre: ConnectInstance, admin_client: Client
) -> None:
    first, second = centre.routing_profiles.order_by("name")[:2]
    shown = "AVG_ABANDON_TIME, SERVICE_LEVEL, MAX_QUEUED_TIME"
    answer = post_source(
        admin_client,
        centre,
        [],
        grouping="ROUTING_PROFILE",
        routing_profiles=[first.pk, second.pk],
        metrics=shown,
    )
    assert answer == b""
    plan = TodaySource.objects.get(name="Today").plan()
    assert plan.grouping == "ROUTING_PROFILE"
    assert [r.resource_id for r in plan.rows] == [
        first.routing_profile_id,
        second.routing_profile_id,
    ]
    assert {r.threshold for r in plan.rows} == {centre.service_level_threshold}
    assert plan.metrics == ("AVG_ABANDON_TIME", "SERVICE_LEVEL", "MAX_QUEUED_TIME")


def test_queues_and_routing_profiles_together_are_refused_naming_the_field(
    centre: ConnectInstance, admin_client: Client
) -> None:
    queue = centre.queues.filter(queue_type="STANDARD").first()
    profile = centre.routing_profiles.first()
    assert queue is not None and profile is not None
    by_queue = post_source(admin_client, centre, [(queue.pk, "")], routing_profiles=[profile.pk])
    assert b"A source grouped by queue takes queues, not routing profiles" in by_queue
    by_profile = post_source(
        admin_client,
        centre,
        [(queue.pk, "")],
        grouping="ROUTING_PROFILE",
        routing_profiles=[profile.pk],
    )
    assert b"Queues: a source grouped by routing profile takes routing profiles" in by_profile
    none = post_source(admin_client, centre, [], grouping="ROUTING_PROFILE")
    assert b"Choose at least one routing profile." in none
    assert not TodaySource.objects.exists()


@pytest.mark.parametrize(
    ("metrics", "words"),
    [
        ("SERVICE_LEVEL, AGENT_OCCUPANCY", b"got AGENT_OCCUPANCY"),
        ("SERVICE_LEVEL, SERVICE_LEVEL", b"Name each metric once."),
        ("", b"Choose at least one metric."),
        ("CHANNEL", b"got CHANNEL"),
    ],
)
def test_metrics_the_wall_does_not_show_are_refused_on_the_field(
    centre: ConnectInstance, admin_client: Client, metrics: str, words: bytes
) -> None:
    queue = centre.queues.filter(queue_type="STANDARD").first()
    assert queue is not None
    page = post_source(admin_client, centre, [(queue.pk, "")], metrics=metrics)
    assert words in page
    assert not TodaySource.objects.exists()


def test_a_grouping_by_channel_is_not_offered(
    centre: ConnectInstance, admin_client: Client
) -> None:
    queue = centre.queues.filter(queue_type="STANDARD").first()
    assert queue is not None
    page = post_source(admin_client, centre, [(queue.pk, "")], grouping="CHANNEL")
    assert b"Select a valid choice. CHANNEL is not one of the available choices." in page
    assert not TodaySource.objects.exists()


def test_routing_profiles_of_another_instance_are_neither_offered_nor_taken(
    centre: ConnectInstance, admin_client: Client
) -> None:
    other = ConnectInstance.objects.create(name="Other centre", instance_id="other")
    stranger = other.routing_profiles.create(
        routing_profile_id="rp-elsewhere", name="Profile of another centre"
    )
    refused = post_source(
        admin_client, centre, [], grouping="ROUTING_PROFILE", routing_profiles=[stranger.pk]
    )
    assert b"not of the source&#x27;s instance: Profile of another centre" in refused
    assert not TodaySource.objects.exists()
    mine = centre.routing_profiles.order_by("name").first()
    assert mine is not None
    saved = post_source(
        admin_client, centre, [], grouping="ROUTING_PROFILE", routing_profiles=[mine.pk]
    )
    assert saved == b""
    source = TodaySource.objects.get(name="Today")
    page = admin_client.get(f"/admin/today/todaysource/{source.pk}/change/")
    assert mine.name.encode() in page.content
    assert b"Profile of another centre" not in page.content
