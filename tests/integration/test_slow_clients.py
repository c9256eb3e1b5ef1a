"""Idle and slow clients cannot hold bin/web's connections: one that sends nothing, or half
a request, is closed REQUEST_READ_TIMEOUT seconds after it opened, one idle after an answer
once uvicorn's keep-alive timeout (15 s, bin/web) has passed, while others are served."""

import asyncio
import re
import time
import urllib.request
from pathlib import Path

import pytest

from tests.chaos_support import raise_open_files_limit
from tests.processes import ROOT, Stack

READ_TIMEOUT = 2
KEEP_ALIVE = 15
IDLE, HALF_SENT, KEPT_ALIVE = 1000, 900, 100
HALF_A_REQUEST = b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"
A_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_bin_web_sets_the_keep_alive_timeout_the_docs_give() -> None:
    script = (ROOT / "bin" / "web").read_text()
    assert re.search(rf"--timeout-keep-alive {KEEP_ALIVE}\b", script)
    assert f"for less than {KEEP_ALIVE} s" in (ROOT / "README.md").read_text()


async def closed_after(port: int, sent: bytes, *, answered: bool, limit: float) -> float:
    """Open a connection, send `sent` (a whole request when `answered`), then wait for the
    server to close it; seconds from the last byte sent (or the answer) to the close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(sent)
        await writer.drain()
        if answered:
            await reader.readuntil(b"\r\n\r\n")
            await reader.read(100)  # the small JSON body
        started = time.monotonic()
        while await asyncio.wait_for(reader.read(1024), limit):
            pass  # the rest of an answer; then the server's close (EOF)
        return time.monotonic() - started
    finally:
        writer.close()


async def open_and_wait(port: int) -> list[float | BaseException]:
    limit = KEEP_ALIVE + 10
    tasks = [closed_after(port, b"", answered=False, limit=limit) for _ in range(IDLE)]
    tasks += [
        closed_after(port, HALF_A_REQUEST, answered=False, limit=limit) for _ in range(HALF_SENT)
    ]
    tasks += [closed_after(port, A_REQUEST, answered=True, limit=limit) for _ in range(KEPT_ALIVE)]
    return await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.e2e
def test_idle_and_half_sent_connections_are_closed_after_the_timeout(tmp_path: Path) -> None:
    assert raise_open_files_limit() > IDLE + HALF_SENT + KEPT_ALIVE + 200
    stack = Stack(tmp_path, redis_url=None, env={"REQUEST_READ_TIMEOUT": str(READ_TIMEOUT)})
    stack.manage("migrate", "--noinput")
    web = stack.start_web()
    try:
        assert web.port is not None
        results: list[float | BaseException] = []

        async def run() -> None:
            waiting = asyncio.ensure_future(open_and_wait(web.port or 0))
            await asyncio.sleep(1)
            # Someone else is served while 2,000 connections are held open.
            answer = await asyncio.to_thread(
                lambda: urllib.request.urlopen(f"{web.url}/healthz", timeout=5).status
            )
            assert answer == 200
            results.extend(await waiting)

        asyncio.run(run())
    finally:
        stack.stop_all()
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, f"{len(failures)} not closed by the server, e.g. {failures[0]!r}"
    waits = [r for r in results if isinstance(r, float)]
    idle, half_sent, kept_alive = (
        waits[:IDLE],
        waits[IDLE : IDLE + HALF_SENT],
        waits[IDLE + HALF_SENT :],
    )
    # Closed at the deadline, give or take the time 2,000 connections took to open.
    assert max(idle + half_sent) < READ_TIMEOUT + 5
    assert min(kept_alive) > KEEP_ALIVE - 1 and max(kept_alive) < KEEP_ALIVE + 3
    print(
        f"closed: idle max {max(idle):.1f} s, half-sent max {max(half_sent):.1f} s, "
        f"kept alive {min(kept_alive):.1f}-{max(kept_alive):.1f} s"
    )
