from django.urls import path

from connectmetrics.api import views

app_name = "api"

urlpatterns = [
    # <path:> because an instance ARN has slashes in it once Django has decoded the URL.
    path("metrics/current/<path:instance_ref>", views.current_metrics, name="current-metrics"),
    path("api/openapi.json", views.openapi_document, name="openapi"),
    path("api/", views.docs_page, name="docs"),
]
