"""Who is calling the drop-in endpoint, and whether they may read an instance.

A caller signs with an access key this product issued (keys.py); the
signature is checked by sigv4.py. An access key is scoped to instances as an
API token is (InstanceScopedCredential), and a request signed for one Region
only finds the instances configured in that Region, as on AWS.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import escape_uri_path

from connectmetrics.api.envelope import ApiError
from connectmetrics.api.views import find_instance, place_of
from connectmetrics.awsapi.errors import (
    ACCESS_DENIED,
    INVALID_REQUEST,
    RESOURCE_NOT_FOUND,
    AwsError,
)
from connectmetrics.awsapi.keys import secret_of
from connectmetrics.awsapi.replay import seen_signatures
from connectmetrics.awsapi.sigv4 import Signature, SignedRequest, verify
from connectmetrics.connectapi import rules
from connectmetrics.models import AwsAccessKey, ConnectInstance
from connectmetrics.models.access_memo import remembered
from dashboard.lib.sealed import Unreadable


def signed_request(request: HttpRequest) -> SignedRequest:
    """The request as the caller signed it: the raw path from the ASGI server when it
    gives one (an instance ARN's slashes arrive percent-encoded)."""
    scope = getattr(request, "scope", None)
    raw_path = scope.get("raw_path") if isinstance(scope, dict) else None
    path = raw_path.decode("latin-1") if raw_path else escape_uri_path(request.path)
    try:
        body = request.body
    except RequestDataTooBig:
        raise AwsError(INVALID_REQUEST, "The request body is too large.") from None
    return SignedRequest(
        method=request.method or "",
        path=path,
        query=request.META.get("QUERY_STRING", ""),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
    )


class Caller:
    """An access key whose signature checked out, and the Region it signed for."""

    def __init__(self, key: AwsAccessKey, signature: Signature) -> None:
        self.key = key
        self.region = signature.region
        self.signature = signature.signature

    def refused(self) -> None:
        """Its request was refused: the same signature may come again as an SDK's retry."""
        seen_signatures().forget(self.signature)


def authenticate(request: HttpRequest) -> Caller:
    found: list[AwsAccessKey] = []

    def secret_for(access_key_id: str) -> str | None:
        key = remembered(
            ("aws access key", access_key_id),
            lambda: AwsAccessKey.objects.filter(access_key_id=access_key_id).first(),
        )
        if key is None or key.revoked:
            return None
        try:
            secret = remembered(("aws secret", access_key_id), lambda: secret_of(key))
        except Unreadable:
            # Made under a SECRET_KEY this server no longer has: as good as unknown.
            return None
        found.append(key)
        return secret

    signature = verify(
        signed_request(request),
        secret_for=secret_for,
        seen=seen_signatures(),
        now=timezone.now(),
    )
    key = found[0]
    key.note_use()
    return Caller(key, signature)


def readable_instance(caller: Caller, instance_ref: str) -> ConnectInstance:
    """The configured instance named in the path, if this caller may read it (or AwsError)."""
    violations = rules.check_instance_id(instance_ref)
    if violations:
        raise AwsError(violations[0].error, violations[0].message)
    try:
        instance, arn = remembered(("instance", instance_ref), lambda: find_instance(instance_ref))
    except ApiError as error:
        raise AwsError(RESOURCE_NOT_FOUND, error.message) from None
    if arn is not None and (why := rules.arn_mismatch(arn, place_of(instance))) is not None:
        raise AwsError(RESOURCE_NOT_FOUND, f"InstanceId: {why}.")
    if instance.region != caller.region:
        raise AwsError(
            RESOURCE_NOT_FOUND,
            f"No Connect instance {instance_ref} is configured in {caller.region} (the Region "
            "the request was signed for).",
        )
    if not caller.key.may_read(instance):
        raise AwsError(
            ACCESS_DENIED,
            f"The access key {caller.key.access_key_id} may not read the Connect instance "
            f"{instance.instance_id}.",
        )
    return instance
