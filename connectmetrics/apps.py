from django.apps import AppConfig


class ConnectMetricsConfig(AppConfig):
    name = "connectmetrics"
    verbose_name = "Amazon Connect"
