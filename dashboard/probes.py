"""/healthz and /metrics, answered ahead of the rest of the middleware.

Probes come from inside the deployment: compose's healthcheck asks
http://127.0.0.1:8000/healthz, a load balancer and Prometheus ask by the
container's address. None of them sends a Host header in ALLOWED_HOSTS, nor
comes over HTTPS, so ordinary requests would get a 400 (DisallowedHost) or a
redirect to HTTPS (SECURE_SSL_REDIRECT). This middleware comes first and
answers these two paths before host validation and the redirect; neither
answer reads the Host header or builds a URL, which is what those checks
protect.

/metrics is for monitoring systems only: a request with
`Authorization: Bearer <METRICS_TOKEN>` (when that is set), or from an address
in METRICS_ALLOWED_IPS (addresses or networks; loopback by default). Others
get 401 (when a token is set) or 403. Behind a reverse proxy every request
comes from the proxy's address: use the token there.

/healthz answers everyone with ok or not; its details go to the METRICS_TOKEN
bearer and to signed-in staff (whose session cookie is read here, as the
session middleware has not run yet).
"""

import hmac
from collections.abc import Callable
from functools import cache
from importlib import import_module
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

import redis
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import get_user
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from dashboard import fanout, monitoring
from dashboard.health import healthz
from dashboard.prometheus import CONTENT_TYPE, Family, Sample, render

HEALTHZ = "/healthz"
METRICS = "/metrics"
_READ_ONLY = ("GET", "HEAD")

Network = IPv4Network | IPv6Network


@cache
def allowed_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ip_network(entry, strict=False) for entry in entries)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS must be IP addresses or networks (CIDR); {error}"
        ) from None


def metrics_token_presented(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    return bool(token) and hmac.compare_digest(
        request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()
    )


def staff_signed_in(request: HttpRequest) -> bool:
    """Whether the session cookie is that of an active staff user."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return False
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    try:
        user = get_user(request)
    except DatabaseError:
        return False  # the details would say the database is down; the status says so too
    return bool(user.is_active and user.is_staff)


def metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the caller may read /metrics, else the answer that refuses it."""
    token = settings.METRICS_TOKEN
    if metrics_token_presented(request):
        return None
    try:
        caller = ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        caller = None
    networks = allowed_networks(tuple(settings.METRICS_ALLOWED_IPS))
    if caller is not None and any(caller in network for network in networks):
        return None
    if token:
        response = HttpResponse(
            "Send Authorization: Bearer <METRICS_TOKEN>.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(
        "This address may not read the metrics (METRICS_ALLOWED_IPS).\n",
        status=403,
        content_type="text/plain",
    )


def poller_families() -> list[Family]:
    """The shared figures, and whether they could be read (Redis or the database may be
    down: this process's own figures are still worth a scrape then)."""
    try:
        families = monitoring.poller_families()
    except (redis.RedisError, DatabaseError):
        families = []
    available = Family(
        monitoring.PREFIX + "telemetry_available",
        "gauge",
        "1 when the poller's shared figures could be read (Redis and the database answer), else 0.",
        [Sample(1 if families else 0)],
    )
    return [available, *families]


def metrics(request: HttpRequest) -> HttpResponse:
    refusal = metrics_refusal(request)
    if refusal is not None:
        return refusal
    families = poller_families()
    # Sockets live on the server's event loop: counted there (under ASGI this thread
    # runs for that loop, and async_to_sync hands the count back to it; a server
    # without a loop, such as a test client, has none).
    sockets = async_to_sync(fanout.open_sockets)()
    tasks = async_to_sync(fanout.loop_tasks)()
    response = HttpResponse(
        render([*families, *monitoring.process_families(sockets, tasks)]),
        content_type=CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    return response


def probe_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path not in (HEALTHZ, METRICS):
            return get_response(request)
        if request.method not in _READ_ONLY:
            return HttpResponseNotAllowed(_READ_ONLY)
        if request.path == HEALTHZ:
            detailed = metrics_token_presented(request) or staff_signed_in(request)
            response: HttpResponse = healthz(request, detailed=detailed)
        else:
            response = metrics(request)
        # What SecurityMiddleware would have added for these plain-text and JSON answers.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    return middleware
