"""The ASGI lifespan: refuses to start without the collected static files
(dashboard/static_files.py), and starts and stops embedded mode's poller with the server.

Mounted as "lifespan" in dashboard/asgi.py. It polls only when the settings say
so (settings.EMBEDDED_POLLER: embedded mode, unless EMBEDDED_POLLER=0, e.g. for
a second web process beside the one that polls).
"""

from typing import Any

from django.conf import settings

from connectmetrics.poller.embedded import EmbeddedPoller
from dashboard.static_files import missing_static_files

Scope = dict[str, Any]


async def lifespan_app(scope: Scope, receive: Any, send: Any) -> None:
    poller: EmbeddedPoller | None = None
    while True:
        event = await receive()
        if event["type"] == "lifespan.startup":
            if problem := missing_static_files():
                await send({"type": "lifespan.startup.failed", "message": problem})
                return
            if settings.EMBEDDED_POLLER:
                poller = EmbeddedPoller()
                poller.start()
            await send({"type": "lifespan.startup.complete"})
        elif event["type"] == "lifespan.shutdown":
            if poller is not None:
                await poller.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return
