"""Who may read metrics through the endpoint: API tokens, or logged-in staff.

An API token is sent as ``Authorization: Bearer <token>``; it is looked up by
its SHA-256 (dashboard.tokens), so the database never holds the secret. A
logged-in staff user may call the endpoint from the browser too; that path is
cookie-authenticated, so it gets Django's CSRF check (as Django REST
framework's SessionAuthentication does) while token calls need none.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from connectmetrics.access_memo import remembered
from connectmetrics.api.envelope import ApiError, ErrorCode
from connectmetrics.models import ApiToken, ConnectInstance
from dashboard.guard import refusal_reason, request_address, token_guard
from dashboard.tokens import hash_token, new_token

PREFIX_CHARS = 8


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: an API token, or (token None) a staff user."""

    token: ApiToken | None

    def may_read(self, instance: ConnectInstance) -> bool:
        return self.token is None or self.token.may_read(instance)


def give_secret(token: ApiToken) -> str:
    """Give an unsaved token a new secret: its hash and prefix are set, the secret returned."""
    raw = new_token()
    token.token_hash = hash_token(raw)
    token.prefix = raw[:PREFIX_CHARS]
    return raw


def issue_token(
    name: str, instances: Iterable[ConnectInstance] = (), *, all_instances: bool = False
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once and never stored."""
    token = ApiToken(name=name, all_instances=all_instances)
    raw = give_secret(token)
    token.save()
    token.instances.set(list(instances))
    return token, raw


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


def _csrf_failure(request: HttpRequest) -> str | None:
    check = _CsrfCheck(lambda _: HttpResponse())
    check.process_request(request)
    return check.process_view(request, None, (), {})


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
    # Repeated wrong tokens from one address are slowed down (dashboard/guard.py).
    guard = token_guard()
    if (wait := guard.wait(address)) > 0:
        raise ApiError(ErrorCode.THROTTLED, refusal_reason(wait), retry_after=wait)
    token_hash = hash_token(raw)
    token = remembered(
        ("api token", token_hash), lambda: ApiToken.objects.filter(token_hash=token_hash).first()
    )
    if token is None:
        guard.failed(address)
        raise ApiError(ErrorCode.UNAUTHORIZED, "This API token is not valid.")
    if token.revoked:
        guard.failed(address)
        raise ApiError(ErrorCode.UNAUTHORIZED, "This API token was revoked.")
    token.note_use()
    return token


def authorise(caller: Caller, instance: ConnectInstance) -> None:
    if not caller.may_read(instance):
        raise ApiError(
            ErrorCode.FORBIDDEN,
            f"This API token may not read the Connect instance {instance.instance_id}.",
        )
