"""The pages people look at: sign in, the wallboard list, supervisor and TV views."""

from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html",
            redirect_authenticated_user=True,
            next_page="wallboards",
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("wallboards/", views.wallboard_list, name="wallboards"),
    path("wallboards/<slug:slug>/", views.supervisor, name="wallboard-supervisor"),
    path("wallboards/<slug:slug>/tv/", views.tv, name="wallboard-tv"),
]
