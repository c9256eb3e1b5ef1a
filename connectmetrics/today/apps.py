from django.apps import AppConfig


class TodayConfig(AppConfig):
    name = "connectmetrics.today"
    label = "today"
    verbose_name = "Today's performance"
    default_auto_field = "django.db.models.BigAutoField"
