"""WebSocket routes: the wallboard socket, and a refusal for every other path."""

from django.urls import path, re_path

from dashboard.consumers import NoSuchSocket, WallboardConsumer

websocket_urlpatterns = [
    path("ws/wallboards/<slug:slug>/", WallboardConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),
]
