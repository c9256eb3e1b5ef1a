"""ASGI entry point: HTTP through Django, the wallboard sockets through Channels.

A socket's session and user are read once at its handshake
(dashboard/socket_session.py): nothing wraps its `send`, which every update of
every screen goes through.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
# Django is set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from dashboard.lifespan import lifespan_app  # noqa: E402
from dashboard.origins import WebSocketOriginValidator  # noqa: E402
from dashboard.routing import websocket_urlpatterns  # noqa: E402
from dashboard.socket_session import socket_auth_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "lifespan": lifespan_app,
        "websocket": WebSocketOriginValidator(socket_auth_stack(URLRouter(websocket_urlpatterns))),
    }
)
