"""Who may read metrics through the endpoint: API tokens, or logged-in staff.

An API token is sent as ``Authorization: Bearer <token>``; it is looked up by
its SHA-256 (dashboard.lib.tokens), so the database never holds the secret. A
logged-in staff user may call the endpoint from the browser too; that path is
cookie-authenticated, so it gets Django's CSRF check (as Django REST
framework's SessionAuthentication does) while token calls need none.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string

from connectmetrics.api.envelope import ApiError, ErrorCode
from connectmetrics.models import ApiToken, ConnectInstance
from connectmetrics.models.access_memo import remembered
from dashboard.lib.guard import API_DOOR, refusal_reason, request_address, token_guard
from dashboard.lib.tokens import hash_token


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: an API token, or (token None) a staff user."""

    token: ApiToken | None

    def may_read(self, instance: ConnectInstance) -> bool:
        return self.token is None or self.token.may_read(instance)


def issue_token(
    name: str, instances: Iterable[ConnectInstance] = (), *, all_instances: bool = False
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once and never stored."""
    token = ApiToken(name=name, all_instances=all_instances)
    raw = token.give_secret()
    token.save()
    token.instances.set(list(instances))
    return token, raw


class _CsrfRefused(Exception):
    """The site's CSRF check refused the request; the message is its reason."""


def _refuse(check: CsrfViewMiddleware, request: HttpRequest, reason: str) -> HttpResponseForbidden:
    raise _CsrfRefused(reason)


def _no_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


@cache
def _csrf_check() -> type[CsrfViewMiddleware]:
    """The site's own CSRF middleware (settings.MIDDLEWARE), its Origin rule included,
    made to say why it refuses rather than answer the refusal."""
    site_check = next(
        (
            found
            for found in map(import_string, settings.MIDDLEWARE)
            if isinstance(found, type) and issubclass(found, CsrfViewMiddleware)
        ),
        CsrfViewMiddleware,
    )
    return type("CsrfCheck", (site_check,), {"_reject": _refuse})


def _csrf_failure(request: HttpRequest) -> str | None:
    """Why the site's CSRF check refuses this request, or None when it passes."""
    check = _csrf_check()(_no_view)
    check.process_request(request)
    try:
        check.process_view(request, _no_view, (), {})
    except _CsrfRefused as refused:
        return str(refused)
    return None


def authenticate(request: HttpRequest) -> Caller:
    header = request.headers.get("Authorization")
    if header is not None:
        return Caller(_token_from(header, request_address(request)))
    user = request.user
    if not user.is_authenticated:
        raise ApiError(
            ErrorCode.UNAUTHORIZED,
            "Send an API token as 'Authorization: Bearer <token>' (an admin makes one with "
            "'python manage.py api_token <name>'), or log in as staff.",
        )
    if not (user.is_active and user.is_staff):
        raise ApiError(ErrorCode.FORBIDDEN, "Only staff may read metrics with a login session.")
    reason = _csrf_failure(request)
    if reason:
        raise ApiError(ErrorCode.FORBIDDEN, f"CSRF check failed for a login session: {reason}")
    return Caller(None)


def _token_from(header: str, address: str) -> ApiToken:
    scheme, _, raw = header.strip().partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        raise ApiError(
            ErrorCode.UNAUTHORIZED,
            "Authorization must be 'Bearer <token>' with an API token.",
        )
    # Repeated wrong tokens from one address are slowed down (dashboard/lib/guard.py); a
    # revoked token is answered as revoked and not counted: it is no guess.
    guard = token_guard()
    if (wait := guard.wait(address, API_DOOR)) > 0:
        raise ApiError(ErrorCode.THROTTLED, refusal_reason(wait), retry_after=wait)
    token = remembered(("api token", hash_token(raw)), lambda: ApiToken.by_secret(raw))
    if token is None:
        guard.failed(address, API_DOOR)
        raise ApiError(ErrorCode.UNAUTHORIZED, "This API token is not valid.")
    if token.revoked:
        raise ApiError(ErrorCode.UNAUTHORIZED, "This API token was revoked.")
    guard.succeeded(address)
    token.note_use()
    return token


def authorise(caller: Caller, instance: ConnectInstance) -> None:
    if not caller.may_read(instance):
        raise ApiError(
            ErrorCode.FORBIDDEN,
            f"This API token may not read the Connect instance {instance.instance_id}.",
        )
