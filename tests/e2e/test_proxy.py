"""The compose stack's reverse proxy (proxy/nginx.conf) in the real nginx, in front of a real
bin/web: pages, sockets and client addresses work through it."""

import asyncio
import http.client
import json
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.typing import Origin

from tests.proxy_support import local_nginx_conf, nginx_binary


def test_through_the_real_proxy_pages_sockets_and_client_addresses_work(tmp_path: Path) -> None:
    from tests.conftest import free_port, wait_for_port
    from tests.processes import Stack, seed_demo

    stack = Stack(tmp_path, redis_url=None, env={"FORWARDED_ALLOW_IPS": "127.0.0.1"})
    token = seed_demo(stack, interval=1)
    web = stack.start_web()
    http_port, https_port = free_port(), free_port()
    assert web.port is not None
    conf = local_nginx_conf(tmp_path, web.port, http_port, https_port)
    nginx = subprocess.Popen(
        [
            nginx_binary(),
            "-e",
            "stderr",
            "-c",
            str(conf),
            "-p",
            f"{tmp_path}/",
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "nginx.log").open("wb"),
    )
    try:
        wait_for_port(https_port)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        proxy = f"https://127.0.0.1:{https_port}"

        def get(url: str, **headers: str) -> int:
            request = urllib.request.Request(url, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=10, context=context) as response:
                    return int(response.status)
            except urllib.error.HTTPError as error:
                return error.code

        assert get(f"{proxy}/accounts/login/") == 200
        # nginx replaces a client's claimed address with its real one (loopback here, so
        # /metrics lets it in); web believes the proxy, so a claim sent to web directly
        # from the proxy's address counts (10.0.0.1 may not read /metrics).
        assert get(f"{proxy}/metrics", **{"X-Forwarded-For": "10.0.0.1"}) == 200
        assert get(f"{web.url}/metrics", **{"X-Forwarded-For": "10.0.0.1"}) == 403
        # Plain HTTP is sent to HTTPS.
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/accounts/login/")
        redirect = plain.getresponse()
        assert redirect.status == 301
        assert redirect.getheader("Location") == "https://127.0.0.1/accounts/login/"
        plain.close()

        async def first_message() -> dict[str, Any]:
            async with connect(
                f"wss://127.0.0.1:{https_port}/ws/wallboards/demo/?token={token}",
                origin=Origin(proxy),
                ssl=context,
            ) as socket:
                text = await asyncio.wait_for(socket.recv(), 15)
                assert isinstance(text, str)
                message: dict[str, Any] = json.loads(text)
                return message

        assert asyncio.run(first_message())["type"] in {"wallboard", "snapshot", "heartbeat"}
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        stack.stop_all()
