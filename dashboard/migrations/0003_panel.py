import django.db.models.deletion
from django.db import migrations, models

import dashboard.models


class Migration(migrations.Migration):
    """Panels: a wallboard becomes an ordered list of them (0004 moves each
    wallboard's queue filter, layout and columns into its first panel)."""

    dependencies = [
        ("connectmetrics", "0001_initial"),
        ("dashboard", "0002_wallboard_frame_origins"),
    ]

    operations = [
        migrations.CreateModel(
            name="Panel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "position",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Panels are shown in this order, lowest first."
                    ),
                ),
                (
                    "title",
                    models.CharField(
                        blank=True,
                        help_text="Shown above the panel when the wallboard has several. "
                        "Empty: the queue filter's name.",
                        max_length=100,
                    ),
                ),
                (
                    "layout",
                    models.CharField(
                        choices=[("table", "Table"), ("tiles", "Tiles")],
                        default="tiles",
                        help_text="How the TV view shows it; the supervisor view always "
                        "shows a table.",
                        max_length=10,
                    ),
                ),
                (
                    "columns",
                    models.JSONField(
                        default=dashboard.models.default_columns,
                        help_text="The metrics shown, in this order.",
                    ),
                ),
                (
                    "queue_filter",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="panels",
                        to="connectmetrics.queuefilter",
                    ),
                ),
                (
                    "wallboard",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="panels",
                        to="dashboard.wallboard",
                    ),
                ),
            ],
            options={"ordering": ["wallboard", "position", "pk"]},
        ),
        # Nullable while the data moves (0004), so that moving it back works too.
        migrations.AlterField(
            model_name="wallboard",
            name="queue_filter",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="wallboards",
                to="connectmetrics.queuefilter",
            ),
        ),
    ]
