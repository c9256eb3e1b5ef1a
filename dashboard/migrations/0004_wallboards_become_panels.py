from typing import Any

from django.db import migrations

# Panel.title's length.
TITLE_LENGTH = 100


def to_panels(apps: Any, schema_editor: Any) -> None:
    """Every wallboard gets one panel with its queue filter, layout and columns."""
    wallboards = apps.get_model("dashboard", "Wallboard")
    panels = apps.get_model("dashboard", "Panel")
    for wallboard in wallboards.objects.select_related("queue_filter").order_by("pk"):
        if wallboard.queue_filter is None or wallboard.panels.exists():
            continue
        panels.objects.create(
            wallboard=wallboard,
            position=0,
            title=wallboard.queue_filter.name[:TITLE_LENGTH],
            queue_filter=wallboard.queue_filter,
            layout=wallboard.layout,
            columns=wallboard.columns,
        )


def from_panels(apps: Any, schema_editor: Any) -> None:
    """Back: each wallboard takes its first panel's queue filter, layout and columns."""
    wallboards = apps.get_model("dashboard", "Wallboard")
    for wallboard in wallboards.objects.order_by("pk"):
        first = wallboard.panels.order_by("position", "pk").first()
        if first is None:
            raise RuntimeError(
                f"Wallboard {wallboard.slug!r} has no panel, and a wallboard before panels "
                "needs a queue filter: give it a panel, then migrate back."
            )
        wallboard.queue_filter_id = first.queue_filter_id
        wallboard.layout = first.layout
        wallboard.columns = first.columns
        wallboard.save(update_fields=["queue_filter", "layout", "columns"])


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0003_panel")]

    operations = [migrations.RunPython(to_panels, from_panels)]
