from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "connectmetrics.api"
    label = "api"
    verbose_name = "Metrics endpoint"
