from django.urls import path

from connectmetrics.alerts import views

urlpatterns = [
    path("<int:alert_id>/acknowledge", views.acknowledge, name="alert-acknowledge"),
]
