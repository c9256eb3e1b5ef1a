"""The origin rule (dashboard/origins.py): scheme, host and port, for sockets and POSTs alike."""

from typing import Any

import pytest

from dashboard.origins import allowed

SERVED = "wallboard.example.com"
TRUSTED = ["https://wallboard.example.com", "https://*.signage.example", "http://10.0.0.5:8080"]


@pytest.fixture(autouse=True)
def trusted(settings: Any) -> None:
    settings.CSRF_TRUSTED_ORIGINS = TRUSTED


@pytest.mark.parametrize(
    ("origin", "served_host", "secure", "verdict"),
    [
        # The request's own origin: its scheme, Host and port.
        ("http://127.0.0.1:8001", "127.0.0.1:8001", False, True),
        ("http://127.0.0.1:9999", "127.0.0.1:8001", False, False),
        ("https://127.0.0.1:8001", "127.0.0.1:8001", False, False),
        ("http://localhost:8001", "127.0.0.1:8001", False, False),
        ("https://intranet.example", "intranet.example", True, True),
        ("https://intranet.example:443", "intranet.example", True, True),
        ("http://intranet.example", "intranet.example", True, False),
        ("https://INTRANET.example", "intranet.example", True, True),
        ("http://[::1]:8001", "[::1]:8001", False, True),
        ("http://[::1]:8002", "[::1]:8001", False, False),
        # A Host outside ALLOWED_HOSTS is no origin of this site.
        ("http://evil.example", None, False, False),
        # CSRF_TRUSTED_ORIGINS, scheme and port included; `*.` for subdomains.
        ("https://wallboard.example.com", None, False, True),
        ("http://wallboard.example.com", None, False, False),
        ("https://wallboard.example.com:8443", None, True, False),
        ("https://tv.signage.example", None, True, True),
        ("https://signage.example.evil", None, True, False),
        ("http://tv.signage.example", None, True, False),
        ("http://10.0.0.5:8080", None, False, True),
        ("http://10.0.0.5", None, False, False),
        # Not origins at all.
        ("null", SERVED, True, False),
        ("", SERVED, True, False),
        ("https://wallboard.example.com/path", SERVED, True, False),
        ("https://user@wallboard.example.com", SERVED, True, False),
        ("https://wallboard.example.com:99999", SERVED, True, False),
        ("ws://wallboard.example.com", SERVED, False, False),
    ],
)
def test_an_origin_is_its_scheme_host_and_port(
    origin: str, served_host: str | None, secure: bool, verdict: bool
) -> None:
    assert allowed(origin, served_host=served_host, secure=secure) is verdict
