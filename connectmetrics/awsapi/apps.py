from django.apps import AppConfig


class AwsApiConfig(AppConfig):
    name = "connectmetrics.awsapi"
    label = "awsapi"
    verbose_name = "Drop-in Connect endpoint"
