"""The compose stack's reverse proxy (proxy/nginx.conf) run by the real nginx on this machine."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "proxy" / "nginx.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.fail("nginx is not installed: .ci/run installs it (apt-get install nginx-light)")
    return found


def local_nginx_conf(workdir: Path, web_port: int, http_port: int, https_port: int) -> Path:
    """proxy/nginx.conf as it runs in compose, pointed at a local web, certificate and ports."""
    key, cert = workdir / "privkey.pem", workdir / "fullchain.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    text = (
        NGINX_CONF.read_text()
        .replace("server web:8000;", f"server 127.0.0.1:{web_port};")
        .replace("/etc/nginx/tls", str(workdir))
        .replace("pid /tmp/nginx.pid;", f"pid {workdir / 'nginx.pid'};")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    )
    conf = workdir / "nginx.conf"
    conf.write_text(text)
    return conf
