from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "connectmetrics.alerts"
    label = "alerts"
    verbose_name = "Alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from connectmetrics.alerts import evaluator, on_screens
        from connectmetrics.alerts.models import AlertRule
        from connectmetrics.poller import poll_levels

        poll_levels.levels_computed.connect(evaluator.on_levels_computed, dispatch_uid="alerts")
        # An admin enabling, disabling or deleting a rule changes what the screens list.
        for signal in (post_save, post_delete):
            signal.connect(on_screens.rule_changed, sender=AlertRule, dispatch_uid="alert-screens")
