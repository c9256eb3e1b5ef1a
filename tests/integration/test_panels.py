"""Panels: a wallboard is an ordered list of them. The model's rules, the migration that
made every wallboard a one-panel wallboard, the admin's inline panels, and the
"wallboard" message that lists them."""

import re
from typing import Any

import msgspec
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from connectmetrics.wire import socket_messages
from connectmetrics.wire.socket_messages import WallboardMessage
from dashboard import push
from dashboard.models import Panel, Wallboard
from tests.panels_support import panel_forms

BEFORE_PANELS = [("dashboard", "0002_wallboard_frame_origins")]
WITH_PANELS = [("dashboard", "0005_panel_facts_off_wallboard")]
LATEST = [("dashboard", "0007_panel_today_source")]


@pytest.fixture
def instance(db: None) -> ConnectInstance:
    return ConnectInstance.objects.create(
        name="Centre", instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED
    )


@pytest.fixture
def all_queues(instance: ConnectInstance) -> QueueFilter:
    return QueueFilter.objects.create(name="All queues", instance=instance)


@pytest.fixture
def priority(instance: ConnectInstance) -> QueueFilter:
    return QueueFilter.objects.create(
        name="Priority queues",
        instance=instance,
        metrics=["AGENTS_AVAILABLE", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE"],
    )


# --- the model ---------------------------------------------------------------------


def test_panels_come_in_the_order_they_were_added_with_the_filters_name_as_title(
    all_queues: QueueFilter, priority: QueueFilter
) -> None:
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    first = wallboard.add_panel(all_queues, layout="table")
    second = wallboard.add_panel(priority, title="Watch these", columns=["CONTACTS_IN_QUEUE"])

    assert list(wallboard.panels.all()) == [first, second]
    assert (first.position, second.position) == (0, 1)
    assert first.title == "All queues" and first.columns == all_queues.metrics
    assert second.title == "Watch these" and second.layout == "tiles"


def test_moving_a_panel_up_changes_the_order(
    all_queues: QueueFilter, priority: QueueFilter
) -> None:
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    first = wallboard.add_panel(all_queues)
    second = wallboard.add_panel(priority)
    Panel.objects.filter(pk=second.pk).update(position=0)
    Panel.objects.filter(pk=first.pk).update(position=1)

    assert [p.pk for p in wallboard.panels.all()] == [second.pk, first.pk]


@pytest.mark.parametrize(
    ("columns", "says"),
    [
        ([], "Choose at least one metric to show."),
        (["NOT_A_METRIC"], "Unknown metrics: NOT_A_METRIC."),
        (["AGENTS_ONLINE"], "The queue filter does not fetch these metrics: Online."),
    ],
)
def test_a_panel_with_columns_it_cannot_show_is_refused_naming_the_field(
    priority: QueueFilter, columns: list[str], says: str
) -> None:
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    with pytest.raises(ValidationError) as refused:
        wallboard.add_panel(priority, columns=columns)
    assert list(refused.value.message_dict) == ["columns"]
    assert says in refused.value.message_dict["columns"]
    assert not wallboard.panels.exists()


def test_a_queue_filter_a_panel_shows_cannot_be_deleted(all_queues: QueueFilter) -> None:
    Wallboard.objects.create(slug="floor", title="Floor").add_panel(all_queues)
    with pytest.raises(Exception, match="protected"):
        all_queues.delete()


# --- the migration -----------------------------------------------------------------


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate the test database to `targets`; the apps (historical models) there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_every_wallboard_becomes_a_one_panel_wallboard_with_nothing_lost() -> None:
    try:
        migrate_there_and_back()
    finally:
        migrate(LATEST)  # the other tests' schema, whatever happened


def migrate_there_and_back() -> None:
    old = migrate(BEFORE_PANELS)
    instance = old.get_model("connectmetrics", "ConnectInstance").objects.create(
        name="Centre", instance_id=SIMULATED_INSTANCE_ID, access_mode="simulated"
    )
    filters = old.get_model("connectmetrics", "QueueFilter")
    sales = filters.objects.create(name="Sales queues", instance=instance)
    service = filters.objects.create(name="Service queues", instance=instance)
    boards = old.get_model("dashboard", "Wallboard")
    boards.objects.create(
        slug="sales",
        title="Sales floor",
        queue_filter=sales,
        layout="table",
        columns=["CONTACTS_IN_QUEUE", "AGENTS_ONLINE"],
        ticker="Welcome",
        theme="light",
    )
    boards.objects.create(
        slug="service", title="Service", queue_filter=service, columns=["OLDEST_CONTACT_AGE"]
    )

    new = migrate(WITH_PANELS)

    shown = {
        panel.wallboard.slug: (
            panel.position,
            panel.title,
            panel.queue_filter_id,
            panel.layout,
            panel.columns,
        )
        for panel in new.get_model("dashboard", "Panel").objects.select_related("wallboard")
    }
    assert shown == {
        "sales": (0, "Sales queues", sales.pk, "table", ["CONTACTS_IN_QUEUE", "AGENTS_ONLINE"]),
        "service": (0, "Service queues", service.pk, "tiles", ["OLDEST_CONTACT_AGE"]),
    }
    sales_board = new.get_model("dashboard", "Wallboard").objects.get(slug="sales")
    assert (sales_board.ticker, sales_board.theme) == ("Welcome", "light")
    # One place for each fact: the wallboard no longer has them.
    fields = {f.name for f in new.get_model("dashboard", "Wallboard")._meta.get_fields()}
    assert not {"queue_filter", "layout", "columns"} & fields

    # And back: each wallboard takes its first panel's.
    back = migrate(BEFORE_PANELS)
    restored = back.get_model("dashboard", "Wallboard").objects.get(slug="sales")
    assert (restored.queue_filter_id, restored.layout, restored.columns) == (
        sales.pk,
        "table",
        ["CONTACTS_IN_QUEUE", "AGENTS_ONLINE"],
    )


# --- the admin ---------------------------------------------------------------------


def wallboard_data(wallboard: Wallboard | None = None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Floor",
        "slug": "floor",
        "theme": "dark",
        "rotation_seconds": "30",
        "display_tokens-TOTAL_FORMS": "0",
        "display_tokens-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def errors_of(content: bytes) -> list[str]:
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*>\s*<li>([^<]*)</li>', content.decode())


def test_the_admin_adds_a_wallboard_with_two_panels_in_order(
    admin_client: Client, all_queues: QueueFilter, priority: QueueFilter
) -> None:
    data = wallboard_data(
        **panel_forms(
            Wallboard(),
            {"queue_filter": priority.pk, "columns": ["CONTACTS_IN_QUEUE"], "position": 1},
            {"queue_filter": all_queues.pk, "columns": ["AGENTS_ONLINE"], "layout": "table"},
        ),
    )
    data["panels-1-position"] = "0"

    response = admin_client.post(reverse("admin:dashboard_wallboard_add"), data)

    assert response.status_code == 302, errors_of(response.content)
    wallboard = Wallboard.objects.get(slug="floor")
    assert [(p.title, p.layout, p.columns) for p in wallboard.panels.all()] == [
        ("All queues", "table", ["AGENTS_ONLINE"]),
        ("Priority queues", "tiles", ["CONTACTS_IN_QUEUE"]),
    ]


def test_a_wallboard_without_a_panel_is_refused_clearly(
    admin_client: Client, all_queues: QueueFilter
) -> None:
    response = admin_client.post(
        reverse("admin:dashboard_wallboard_add"), wallboard_data(**panel_forms(Wallboard()))
    )

    assert response.status_code == 200
    assert "Please submit at least 1 form." in errors_of(response.content)
    assert not Wallboard.objects.exists()


def test_a_panel_column_its_queue_filter_does_not_fetch_is_a_field_error_on_that_panel(
    admin_client: Client, all_queues: QueueFilter, priority: QueueFilter
) -> None:
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    wallboard.add_panel(all_queues)
    data = wallboard_data(
        wallboard,
        **panel_forms(wallboard, {"queue_filter": priority.pk, "columns": ["AGENTS_ONLINE"]}),
    )

    response = admin_client.post(
        reverse("admin:dashboard_wallboard_change", args=[wallboard.pk]), data
    )

    assert response.status_code == 200
    assert "The queue filter does not fetch these metrics: Online." in errors_of(response.content)
    assert wallboard.panels.count() == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"panels-0-position": "-1"},
        {"panels-0-position": "first"},
        {"panels-0-queue_filter": "999999"},
        {"panels-0-layout": "carousel"},
        {"panels-0-columns": ["\0"]},
        {"panels-TOTAL_FORMS": "x"},
    ],
)
def test_bad_panel_input_is_a_form_error_not_a_500(
    admin_client: Client, all_queues: QueueFilter, bad: dict[str, Any]
) -> None:
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    wallboard.add_panel(all_queues)
    data = wallboard_data(wallboard, **panel_forms(wallboard))
    data.update(bad)

    response = admin_client.post(
        reverse("admin:dashboard_wallboard_change", args=[wallboard.pk]), data
    )

    assert response.status_code == 200
    assert errors_of(response.content)
    assert wallboard.panels.get().columns == all_queues.metrics


def test_the_change_page_offers_each_panel_only_its_filters_metrics(
    admin_client: Client, all_queues: QueueFilter, priority: QueueFilter
) -> None:
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    wallboard.add_panel(all_queues)
    wallboard.add_panel(priority)

    page = admin_client.get(
        reverse("admin:dashboard_wallboard_change", args=[wallboard.pk])
    ).content.decode()

    offered = {at: re.findall(rf'name="panels-{at}-columns" value="(\w+)"', page) for at in (0, 1)}
    assert offered[0] == all_queues.metrics
    assert offered[1] == ["AGENTS_AVAILABLE", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE"]


# --- the "wallboard" message -------------------------------------------------------


def test_the_wallboard_message_lists_the_panels_in_order(
    all_queues: QueueFilter, priority: QueueFilter
) -> None:
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    first = wallboard.add_panel(all_queues, layout="tiles")
    second = wallboard.add_panel(priority, layout="table", columns=["CONTACTS_IN_QUEUE"])
    Panel.objects.filter(pk=second.pk).update(position=0)
    Panel.objects.filter(pk=first.pk).update(position=5)

    message = socket_messages.decode(push.wallboard_message(wallboard))

    assert isinstance(message, WallboardMessage)
    assert [msgspec.to_builtins(panel) for panel in message.panels] == [
        {
            "id": second.pk,
            "title": "Priority queues",
            "layout": "table",
            "columns": ["CONTACTS_IN_QUEUE"],
            "source": f"queue_filter:{priority.pk}",
            "queue_filter": priority.pk,
        },
        {
            "id": first.pk,
            "title": "All queues",
            "layout": "tiles",
            "columns": all_queues.metrics,
            "source": f"queue_filter:{all_queues.pk}",
            "queue_filter": all_queues.pk,
        },
    ]
    assert push.sources_of(message) == (priority.source_key, all_queues.source_key)


def test_two_panels_of_one_queue_filter_make_one_source(all_queues: QueueFilter) -> None:
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    wallboard.add_panel(all_queues, layout="tiles")
    wallboard.add_panel(all_queues, layout="table")

    shown = push.screen_settings(wallboard, wallboard)

    assert len(shown.panels) == 2 and push.sources_of(shown) == (all_queues.source_key,)
