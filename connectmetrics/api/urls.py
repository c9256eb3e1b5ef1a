from django.urls import path

from connectmetrics.api import views

app_name = "api"

urlpatterns = [
    # <path:> because an instance ARN has slashes in it once Django has decoded the URL.
    path("metrics/current/<path:instance_ref>", views.current_metrics, name="current-metrics"),
    path("metrics/userdata/<path:instance_ref>", views.user_data, name="user-data"),
    path("metrics/data/<path:instance_ref>", views.metric_data, name="metric-data"),
    path("api/openapi.json", views.openapi_document, name="openapi"),
    path("api/", views.docs_page, name="docs"),
]
