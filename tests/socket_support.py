"""The wallboard socket through the project's whole ASGI stack (Origin check, sessions,
routing, the consumer): opening one as a TV or a signed-in browser would, and reading it.

Used by the socket tests (tests/integration/sockets/, whose conftest.py sets up embedded
mode on the in-memory channel layer) and the fan-out's."""

import json
from typing import Any

from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from connectmetrics.sources.key import SourceKey
from dashboard.asgi import application
from dashboard.models import DisplayToken, Wallboard

ORIGIN = (b"origin", b"http://127.0.0.1")

# The Host a browser sends with it: the socket is on the page's own origin.
HOST = (b"host", b"127.0.0.1")

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def signed_in(user: User) -> tuple[Client, bytes]:
    """A browser session of `user`: its client (to sign out or in with) and its cookie."""
    client = Client()
    client.force_login(user)
    return client, f"sessionid={client.cookies['sessionid'].value}".encode()


def session_cookie(user: User) -> bytes:
    return signed_in(user)[1]


async def open_socket(
    path: str,
    *,
    origin: tuple[bytes, bytes] | None = ORIGIN,
    cookie: bytes = b"",
    address: str = "192.0.2.10",
) -> WebsocketCommunicator:
    headers = [HOST, origin] if origin else [HOST]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["client"] = (address, 50000)
    await communicator.connect()
    return communicator


async def receive(communicator: WebsocketCommunicator) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await communicator.receive_from(timeout=3))
    return message


async def close_code(communicator: WebsocketCommunicator) -> int:
    """The code of the close the server sends next (after any messages before it)."""
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            code = int(output.get("code", 1000))
            # What the server does next: tell the application the socket is closed.
            await communicator.send_input({"type": "websocket.disconnect", "code": code})
            await communicator.wait()
            return code


async def opened(path: str, **kwargs: Any) -> WebsocketCommunicator:
    """A socket that was let in, past its "wallboard", "snapshot" and "alerts" messages."""
    communicator = await open_socket(path, **kwargs)
    for kind in ("wallboard", "snapshot", "alerts"):
        assert (await receive(communicator))["type"] == kind
    return communicator


def tv_path(wallboard: Wallboard, raw: str) -> str:
    return f"/ws/wallboards/{wallboard.slug}/?token={raw}"


def tv_socket(wallboard: Wallboard) -> str:
    """The socket path of a TV showing `wallboard`, with a display token issued for it."""
    return tv_path(wallboard, DisplayToken.issue(wallboard, "TV")[1])


def simulated_centre(name: str = "Centre") -> ConnectInstance:
    """A simulated instance, nothing discovered (no Connect calls)."""
    return ConnectInstance.objects.create(
        name=name, instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED
    )


def update(queue_filter: QueueFilter, seq: int) -> str:
    """An update following the one before it (a screen opened before any poll has seq 0)."""
    return json.dumps(
        {"type": "update", "queue_filter": queue_filter.pk, "seq": seq, "base": seq - 1}
    )


def source_update(message_type: str, source: SourceKey, seq: int) -> str:
    """An update of a source named by its SourceKey (`agent_update`, `today_update`),
    following the one before it."""
    return json.dumps({"type": message_type, "source": str(source), "seq": seq, "base": seq - 1})


def make_user(name: str, **fields: Any) -> User:
    return User.objects.create_user(name, password="pw-12345678", **fields)
