from django.db import migrations


class Migration(migrations.Migration):
    """The queue filter, layout and columns live on the panels now (one place each)."""

    dependencies = [("dashboard", "0004_wallboards_become_panels")]

    operations = [
        migrations.RemoveField(model_name="wallboard", name="queue_filter"),
        migrations.RemoveField(model_name="wallboard", name="layout"),
        migrations.RemoveField(model_name="wallboard", name="columns"),
    ]
