from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Wallboards"

    def ready(self) -> None:
        # Open screens follow what admins save: settings, revoked tokens.
        from dashboard import signals  # noqa: F401
