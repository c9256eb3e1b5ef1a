"""The textbook Channels fan-out, for comparison in bench/fanout.py (--app textbook).

Each socket's consumer joins the queue filter's group on the channel layer and
forwards what arrives through its own receive loop: one channel-layer message
per socket per update. The project does not serve this; dashboard/fanout.py is
what it serves instead.
"""

from typing import Any

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from connectmetrics.poller.readings import readings_store  # noqa: E402
from dashboard.lifespan import lifespan_app  # noqa: E402
from dashboard.models import Panel  # noqa: E402
from dashboard.push import source_group  # noqa: E402


class TextbookConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        panel = await Panel.objects.filter(wallboard__slug=slug).afirst()
        assert panel is not None
        await self.channel_layer.group_add(source_group(panel.source_key), self.channel_name)
        await self.accept()
        await self.send(text_data=await readings_store().alatest_text(panel.source_key))

    async def snapshot_update(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "lifespan": lifespan_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter([path("ws/wallboards/<slug:slug>/", TextbookConsumer.as_asgi())])
            )
        ),
    }
)
