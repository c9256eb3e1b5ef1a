"""The project's ASGI app plus POST /bench/publish?<SourceKey>, for bench/fanout.py in
embedded mode.

In embedded mode the channel layer lives inside the web process, so the
benchmark's updates must be published there: the body of each POST is
published to the source the query names with `apublish_source_update`, exactly
as the embedded poller does.
"""

from typing import Any

from connectmetrics.sources.key import SourceKey
from dashboard.asgi import application as wallboards
from dashboard.push import apublish_source_update


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http" or scope["path"] != "/bench/publish":
        await wallboards(scope, receive, send)
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    source = SourceKey.parse(scope["query_string"].decode())
    await apublish_source_update(source, body.decode())
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
