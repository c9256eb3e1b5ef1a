"""Which pages may act with a browser's cookies: one origin rule for the socket and for POSTs.

A page's origin is its scheme, host and port. A request that carries the
browser's session cookie is trusted only from a page of this site: the origin
the request itself was served at (its own scheme, and the Host it was sent to,
which must be one of ALLOWED_HOSTS), or one of CSRF_TRUSTED_ORIGINS
(`https://wallboard.example.com`, or `https://*.example.com` for its
subdomains), each compared as scheme, host and port, a missing port being the
scheme's default. A page on another port or scheme of the same host is another
site.

The wallboard socket applies it at the handshake (a refusal is HTTP 403), and
the site's CSRF middleware applies it to every POST that sends an Origin, the
endpoint's staff calls included (connectmetrics/api/auth.py runs the site's
CSRF middleware).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host
from django.middleware.csrf import CsrfViewMiddleware

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str  # lower case; an IPv6 address without its brackets
    port: int

    def matches(self, pattern: "Origin") -> bool:
        """This origin is `pattern`, or a subdomain of a pattern whose host is `*.domain`."""
        if (self.scheme, self.port) != (pattern.scheme, pattern.port):
            return False
        if pattern.host.startswith("*."):
            return self.host.endswith(pattern.host[1:])
        return self.host == pattern.host


def parse(text: str) -> Origin | None:
    """An origin from `scheme://host[:port]`; None for anything else (`null`, a path, junk)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in DEFAULT_PORTS or not host or parts.username is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return Origin(scheme, host, port or DEFAULT_PORTS[scheme])


def allowed(origin: str, *, served_host: str | None, secure: bool) -> bool:
    """Whether a page of `origin` may act on a request served at `served_host` (its Host
    header, already checked against ALLOWED_HOSTS; None if it is not one of them) over
    HTTPS (`secure`) or HTTP."""
    given = parse(origin)
    if given is None:
        return False
    if served_host is not None:
        served = parse(f"{'https' if secure else 'http'}://{served_host}")
        if served is not None and given == served:
            return True
    return any(given.matches(pattern) for pattern in _trusted(settings.CSRF_TRUSTED_ORIGINS))


def _trusted(origins: Iterable[str]) -> list[Origin]:
    return [found for found in map(parse, origins) if found is not None]


class CsrfOriginMiddleware(CsrfViewMiddleware):
    """Django's CSRF middleware, with the Origin header judged by `allowed`."""

    def _origin_verified(self, request: HttpRequest) -> bool:
        try:
            served_host: str | None = request.get_host()
        except DisallowedHost:
            served_host = None
        return allowed(
            request.META["HTTP_ORIGIN"], served_host=served_host, secure=request.is_secure()
        )


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    found = None
    for key, value in scope.get("headers", []):
        if key == name:
            found = value.decode("latin-1")
    return found


def _allowed_host(host: str | None) -> str | None:
    if host is None:
        return None
    domain, _ = split_domain_port(host)
    return host if domain and validate_host(domain, settings.ALLOWED_HOSTS) else None


def _secure(scope: dict[str, Any]) -> bool:
    """HTTPS, as Django's request.is_secure() would say of this connection."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        header = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        value = _header(scope, header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


class WebSocketOriginValidator:
    """Refuses, at the handshake, a socket whose Origin is not `allowed` (or is missing)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        origin = _header(scope, b"origin")
        served_host = _allowed_host(_header(scope, b"host"))
        if origin is None or not allowed(origin, served_host=served_host, secure=_secure(scope)):
            await WebsocketDenier()(scope, receive, send)
            return
        await self.application(scope, receive, send)
