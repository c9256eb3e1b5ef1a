"""No Docker engine runs here, so the compose stack is checked against the project itself,
and its reverse proxy's config with the real nginx (in front of a real bin/web:
tests/e2e/test_proxy.py)."""

import re
import shlex
import subprocess
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.proxy_support import NGINX_CONF, local_nginx_conf, nginx_binary

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_variables() -> set[str]:
    text = (ROOT / "dashboard" / "settings.py").read_text()
    return set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', text))


def script_variables(script: Path) -> set[str]:
    return set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", script.read_text()))


def test_the_stack_has_every_service_with_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"redis", "postgres", "migrate", "web", "worker", "beat"}
    for name in ("redis", "postgres", "web"):
        assert "healthcheck" in services[name], name
    assert services["beat"]["deploy"]["replicas"] == 1
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_commands_point_at_real_entry_scripts_and_commands(compose: dict[str, Any]) -> None:
    makefile = (ROOT / "Makefile").read_text()
    for name in APP_SERVICES:
        command = compose["services"][name]["command"]
        argv = command if isinstance(command, list) else shlex.split(command)
        if argv[0].startswith("bin/"):
            script = ROOT / argv[0]
            assert script.is_file() and script.stat().st_mode & 0o111, argv[0]
            # The same entry scripts run under `make dev`, so the end-to-end tests exercise them.
            assert argv[0] in makefile, f"{argv[0]} is not used by make dev"
        else:
            assert argv[:2] == ["python", "manage.py"], argv
            from django.core.management import get_commands

            assert argv[2] in get_commands(), argv


def test_every_variable_set_is_read_by_the_project(compose: dict[str, Any]) -> None:
    read = settings_variables()
    for script in (ROOT / "bin").iterdir():
        read |= script_variables(script)
    env_example = [
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for name in APP_SERVICES:
        environment = compose["services"][name].get("environment", {})
        for variable in [*environment, *env_example]:
            if variable.startswith("AWS_") or variable.startswith("POSTGRES_"):
                continue  # read by boto3's credential chain / by compose for the postgres service
            assert variable in read, f"{name} sets {variable}, which nothing reads"


def test_settings_read_database_and_redis_from_the_stack(compose: dict[str, Any]) -> None:
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"} <= settings_variables()
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == ".env"


def test_dockerfile_runs_as_a_non_root_user_with_collected_static_files() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER wallboard$", dockerfile, re.M)
    assert "collectstatic" in dockerfile
    for copied in re.findall(r"^COPY (\S+)", dockerfile, re.M):
        assert (ROOT / copied).exists(), copied


# --- The reverse proxy in front of web -------------------------------------------------------


def nginx_directive(name: str) -> list[str]:
    """The values of every `name ...;` directive in proxy/nginx.conf."""
    return re.findall(rf"^[ \t]*{name}[ \t]+([^;{{}}\n]+);", NGINX_CONF.read_text(), re.M)


def seconds(value: str) -> int:
    found = re.fullmatch(r"(\d+)s", value)
    assert found, value
    return int(found.group(1))


def test_only_the_proxy_is_published_and_web_trusts_only_it(compose: dict[str, Any]) -> None:
    services = compose["services"]
    proxy, web = services["proxy"], services["web"]
    assert proxy["image"].startswith("nginx:")
    assert sorted(proxy["ports"]) == ["443:443", "80:80"]
    assert "./proxy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert "./tls:/etc/nginx/tls:ro" in proxy["volumes"]
    assert "/tls/" in (ROOT / ".gitignore").read_text().splitlines()
    for name, service in services.items():
        if name != "proxy":
            assert "ports" not in service, f"{name} is published; only the proxy may be"
    # web believes X-Forwarded-* from the proxy's fixed address on the edge network only.
    address = proxy["networks"]["edge"]["ipv4_address"]
    assert web["environment"]["FORWARDED_ALLOW_IPS"] == address
    assert "edge" in web["networks"] and "default" in web["networks"]
    (subnet,) = [c["subnet"] for c in compose["networks"]["edge"]["ipam"]["config"]]
    assert ip_address(address) in ip_network(subnet)
    assert "FORWARDED_ALLOW_IPS" in script_variables(ROOT / "bin" / "web")
    # The proxy passes to web's port.
    (upstream,) = nginx_directive("server")
    assert upstream.split()[0] == f"web:{web['environment']['PORT']}"


def test_the_proxy_sets_deadlines_a_limit_tls_and_websocket_upgrades() -> None:
    assert seconds(nginx_directive("client_header_timeout")[0]) <= 10
    assert seconds(nginx_directive("client_body_timeout")[0]) <= 10
    assert seconds(nginx_directive("send_timeout")[0]) <= 30
    (client_keep_alive, upstream_keep_alive) = nginx_directive("keepalive_timeout")
    assert seconds(client_keep_alive) <= 15
    # The proxy drops its idle connections to web before web's own keep-alive timeout would.
    web_keep_alive = re.search(r"--timeout-keep-alive (\d+)", (ROOT / "bin" / "web").read_text())
    assert web_keep_alive and seconds(upstream_keep_alive) < int(web_keep_alive.group(1))
    assert nginx_directive("limit_conn") == ["per_address 256"]
    assert "listen 443 ssl" in NGINX_CONF.read_text()
    assert nginx_directive("ssl_certificate") == ["/etc/nginx/tls/fullchain.pem"]
    headers = dict(v.split(None, 1) for v in nginx_directive("proxy_set_header"))
    assert headers == {
        "Host": "$http_host",
        "X-Forwarded-For": "$remote_addr",  # replaces whatever the client claims
        "X-Forwarded-Proto": "$scheme",
        "Upgrade": "$http_upgrade",
        "Connection": "$connection_upgrade",
    }
    assert nginx_directive("proxy_http_version") == ["1.1"]
    # Screens reconnect after 40 s without a message and hear a heartbeat every 15 s.
    assert seconds(nginx_directive("proxy_read_timeout")[0]) > 40
    assert nginx_directive("access_log") == ["off"]  # TV URLs carry display tokens


def test_nginx_accepts_the_proxy_config(tmp_path: Path) -> None:
    conf = local_nginx_conf(tmp_path, 8000, 8080, 8443)
    done = subprocess.run(
        [nginx_binary(), "-t", "-e", "stderr", "-c", str(conf), "-p", f"{tmp_path}/"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
