"""uvicorn's HTTP protocol with a deadline for reading each request.

uvicorn closes a connection that idles between requests (`--timeout-keep-alive`,
set in bin/web) but waits for ever on one that never sends a request, or sends
its head or body a byte at a time: 2,000 such connections from one host were
all held open. bin/web runs this protocol (`--http`) instead: from the moment a
connection opens (for its first request) or a later request's first byte
arrives, the whole request (head and body) must be in within
settings.REQUEST_READ_TIMEOUT seconds, or the connection is closed. The answer,
and a WebSocket after its handshake, have no deadline here (screens hear a
heartbeat every 15 s).

A reverse proxy in front (docker-compose.yml) sets the same deadlines for the
clients it serves; this one protects bin/web whether or not there is one.
"""

import asyncio
from typing import Any

from django.conf import settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class RequestDeadlineProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_deadline: asyncio.TimerHandle | None = None

    def _start_read_deadline(self) -> None:
        self._stop_read_deadline()
        self._read_deadline = self.loop.call_later(
            settings.REQUEST_READ_TIMEOUT, self._read_too_slow
        )

    def _stop_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _read_too_slow(self) -> None:
        self._read_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_read_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._read_deadline is None:  # the first request's runs from the connection's start
            self._start_read_deadline()

    def on_message_complete(self) -> None:
        self._stop_read_deadline()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._stop_read_deadline()
        super().handle_websocket_upgrade()
