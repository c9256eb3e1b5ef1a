"""Who opened a wallboard socket: its browser session and user, read once at the handshake.

Channels' `AuthMiddlewareStack` does the same reading, and also wraps the
socket's `send` to save the session on `http.response.start`, which a socket
never sends: the wrapper only reads the session again on every message of
every socket (12% of py-spy's samples of a 1,000-screen fan-out,
docs/performance.md). Here the session and the user are put in the scope at
the handshake as Channels puts them, and `send` reaches the socket unwrapped.
The socket saves nothing in the session; a sign-out closes it through
dashboard/push.py (`SESSION_ENDED`), not through the session.
"""

from importlib import import_module
from typing import Any

from channels.auth import get_user
from channels.sessions import CookieMiddleware
from django.conf import settings

ASGIApp = Any


class HandshakeSessionMiddleware:
    """scope["session"] (the browser's session, from its cookie) and scope["user"]."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope = dict(scope)
        session_store = import_module(settings.SESSION_ENGINE).SessionStore
        scope["session"] = session_store(scope["cookies"].get(settings.SESSION_COOKIE_NAME))
        scope["user"] = await get_user(scope)
        await self.inner(scope, receive, send)


def socket_auth_stack(inner: ASGIApp) -> ASGIApp:
    """What `AuthMiddlewareStack(inner)` gives a socket's scope, without wrapping `send`."""
    return CookieMiddleware(HandshakeSessionMiddleware(inner))
