from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("connectmetrics.api.urls")),
    path("alerts/", include("connectmetrics.alerts.urls")),
    path("", include("connectmetrics.awsapi.urls")),
    path("", include("dashboard.page_urls")),
]

# The endpoint answers even a request refused before any view (a bad Host) in its envelope.
handler400 = "connectmetrics.api.views.bad_request"
