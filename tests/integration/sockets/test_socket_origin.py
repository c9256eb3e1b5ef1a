"""A socket is let in only from the site's own origin (dashboard/origins.py), an https one
behind a TLS proxy."""

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from dashboard.asgi import application
from dashboard.models import DisplayToken, Wallboard
from tests.socket_support import HOST, opened, tv_path

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_socket_from_another_origin_is_refused(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    # Another site, another port or scheme of this host, another of its names, none.
    for origin in (
        b"https://evil.example",
        b"http://127.0.0.1:9999",
        b"https://127.0.0.1",
        b"http://localhost",
        b"null",
        None,
    ):
        headers = [HOST, (b"origin", origin)] if origin else [HOST]
        communicator = WebsocketCommunicator(
            application, tv_path(wallboard, tv_token[1]), headers=headers
        )
        connected, _ = await communicator.connect()
        assert not connected, origin
    for origin in (b"http://127.0.0.1", b"http://127.0.0.1:80"):
        socket = await opened(tv_path(wallboard, tv_token[1]), origin=(b"origin", origin))
        await socket.disconnect()


async def test_behind_a_tls_proxy_the_page_is_an_https_origin(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], settings: Any
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.signage.example"]
    proxied = (b"x-forwarded-proto", b"https")
    for origin, admitted in (
        (b"https://127.0.0.1", True),
        (b"http://127.0.0.1", False),
        (b"https://player.signage.example", True),
        (b"https://signage.example.evil", False),
    ):
        headers = [HOST, proxied, (b"origin", origin)]
        communicator = WebsocketCommunicator(
            application, tv_path(wallboard, tv_token[1]), headers=headers
        )
        connected, _ = await communicator.connect()
        assert connected is admitted, origin
        await communicator.disconnect()
