from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "connectmetrics.alerts"
    label = "alerts"
    verbose_name = "Alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from connectmetrics import poll_levels
        from connectmetrics.alerts import evaluator

        poll_levels.levels_computed.connect(evaluator.on_levels_computed, dispatch_uid="alerts")
