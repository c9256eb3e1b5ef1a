from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("connectmetrics.api.urls")),
    path("", include("connectmetrics.awsapi.urls")),
    path("", include("dashboard.page_urls")),
]
