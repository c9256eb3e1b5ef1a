from django.urls import path

from connectmetrics.awsapi import views

app_name = "awsapi"

urlpatterns = [
    # Everything under /aws/ is answered as AWS answers it, unknown operations included.
    path("aws/", views.connect_api, name="root"),
    path("aws/<path:rest>", views.connect_api, name="connect-api"),
]
