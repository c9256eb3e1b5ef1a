"""Checking an AWS Signature Version 4, as AWS checks the requests it receives.

The canonical request and the signature are computed by botocore's own SigV4
signer (the code every boto3 call is signed with), over the request as it
arrived: the raw path and query, the headers the caller says it signed, the
body. What is checked, in order, each failure with AWS's error type:

- an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
  Signature=...` header (MissingAuthenticationTokenException without one,
  IncompleteSignatureException when it is malformed);
- `X-Amz-Date`, signed together with `Host`; the scope's date, a Region where
  Connect runs, the service `connect` (InvalidSignatureException);
- the access key: one this product issued and nobody revoked
  (UnrecognizedClientException);
- the request time within 5 minutes of the server's clock
  (InvalidSignatureException "Signature expired" / "not yet current");
- `X-Amz-Content-SHA256`, when sent, is the body's hash; the signature;
- the signature not seen before: a captured request replayed within its
  5 minutes is refused (SeenSignatures), unless it comes within a second of
  the first (the same request made twice at once, see replay.py). A request that was refused is
  forgotten again (the view calls `forget`): botocore signs only Host and
  X-Amz-Date, so its retry within the same second carries the same signature.
"""

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, cast

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from connectmetrics.awsapi.errors import (
    INCOMPLETE_SIGNATURE,
    INVALID_SIGNATURE,
    MISSING_AUTHENTICATION_TOKEN,
    UNRECOGNIZED_CLIENT,
    AwsError,
)
from connectmetrics.connectapi.regions import connect_regions

SERVICE = "connect"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=5)
_PARTS = ("Credential", "SignedHeaders", "Signature")
_PART_RE = re.compile(r"\s*(\w+)=([^,\s]*)\s*")
_SIGNATURE_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SignedRequest:
    """A request as it arrived: raw path and query, headers by lower-case name, body."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Signature:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


class SeenSignatures(Protocol):
    """Remembers signatures for as long as their request time is acceptable."""

    def first_use(self, signature: str, seconds: float) -> bool:
        """True the first time a signature is seen (or at the same moment: replay.py);
        remembered for `seconds`."""
        ...

    def forget(self, signature: str) -> None:
        """Let a signature be used again (its request was refused, so an SDK may retry it)."""
        ...


def read_authorization(headers: Mapping[str, str]) -> Signature:
    header = headers.get("authorization")
    if not header:
        raise AwsError(MISSING_AUTHENTICATION_TOKEN, "Missing Authentication Token")
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise AwsError(
            INCOMPLETE_SIGNATURE,
            f"Authorization header algorithm {algorithm!r} is not supported; "
            f"sign with {ALGORITHM} (Signature Version 4).",
        )
    parts: dict[str, str] = {}
    for item in rest.split(","):
        match = _PART_RE.fullmatch(item)
        if match is None:
            raise AwsError(
                INCOMPLETE_SIGNATURE,
                f"Authorization header has a malformed part {item.strip()!r}; "
                "expected Credential=..., SignedHeaders=..., Signature=...",
            )
        parts[match[1]] = match[2]
    missing = [name for name in _PARTS if not parts.get(name)]
    if missing:
        raise AwsError(
            INCOMPLETE_SIGNATURE,
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing),
        )
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise AwsError(
            INCOMPLETE_SIGNATURE,
            f"Credential {parts['Credential']!r} is malformed; expecting "
            '"<access key ID>/<YYYYMMDD>/<region>/<service>/aws4_request".',
        )
    if not _SIGNATURE_RE.fullmatch(parts["Signature"]):
        raise AwsError(INCOMPLETE_SIGNATURE, "Signature must be 64 lower-case hex digits.")
    return Signature(
        access_key_id=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(parts["SignedHeaders"].split(";")),
        signature=parts["Signature"],
    )


def _request_time(headers: Mapping[str, str]) -> tuple[str, datetime]:
    stamp = headers.get("x-amz-date")
    if not stamp:
        raise AwsError(
            INCOMPLETE_SIGNATURE,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header; this endpoint reads X-Amz-Date.",
        )
    try:
        moment = datetime.strptime(stamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        raise AwsError(
            INCOMPLETE_SIGNATURE, f"X-Amz-Date {stamp!r} is not in the form 20260102T030405Z."
        ) from None
    return stamp, moment


def _check_scope(signature: Signature, stamp: str) -> None:
    for needed in ("host", "x-amz-date"):
        if needed not in signature.signed_headers:
            shown = "'Host' or ':authority'" if needed == "host" else "'X-Amz-Date'"
            raise AwsError(
                INVALID_SIGNATURE, f"{shown} must be a 'SignedHeader' in the AWS Authorization."
            )
    if signature.service != SERVICE:
        raise AwsError(
            INVALID_SIGNATURE, f"Credential should be scoped to correct service: '{SERVICE}'."
        )
    if signature.date != stamp[:8]:
        raise AwsError(
            INVALID_SIGNATURE,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{signature.date}' != '{stamp[:8]}', from '{stamp}'.",
        )
    if signature.region not in connect_regions():
        raise AwsError(
            INVALID_SIGNATURE,
            f"Credential should be scoped to a valid region, not '{signature.region}'.",
        )


def _check_time(stamp: str, moment: datetime, now: datetime) -> None:
    def shown(at: datetime) -> str:
        return at.strftime(SIGV4_TIMESTAMP)

    if moment < now - MAX_SKEW:
        raise AwsError(
            INVALID_SIGNATURE,
            f"Signature expired: {stamp} is now earlier than {shown(now - MAX_SKEW)} "
            f"({shown(now)} - 5 min.)",
        )
    if moment > now + MAX_SKEW:
        raise AwsError(
            INVALID_SIGNATURE,
            f"Signature not yet current: {stamp} is still later than {shown(now + MAX_SKEW)} "
            f"({shown(now)} + 5 min.)",
        )


class _Arrived(AWSRequest):
    """The request as it arrived: its body is the bytes received, not prepared for sending
    (which AWSRequest.body would do for every look at it)."""

    @property
    def body(self) -> bytes:  # type: ignore[override]  # the stubs say str; botocore sends bytes
        return cast(bytes, self.data)


def expected_signature(
    request: SignedRequest, signature: Signature, secret: str, stamp: str
) -> str:
    """The signature botocore's signer gives this request with this secret."""
    headers = {}
    for name in signature.signed_headers:
        if name not in request.headers:
            raise AwsError(INVALID_SIGNATURE, f"The signed header {name!r} is not in the request.")
        headers[name] = request.headers[name]
    url = f"http://{request.headers['host']}{request.path}"
    if request.query:
        url += f"?{request.query}"
    prepared = _Arrived(method=request.method, url=url, headers=headers, data=request.body)
    prepared.context["timestamp"] = stamp
    signer = SigV4Auth(
        Credentials(signature.access_key_id, secret), signature.service, signature.region
    )
    canonical = signer.canonical_request(prepared)
    return str(signer.signature(signer.string_to_sign(prepared, canonical), prepared))


def verify(
    request: SignedRequest,
    *,
    secret_for: Callable[[str], str | None],
    seen: SeenSignatures,
    now: datetime,
) -> Signature:
    """The request's checked signature (its access key ID, Region...), or AwsError."""
    signature = read_authorization(request.headers)
    stamp, moment = _request_time(request.headers)
    _check_scope(signature, stamp)
    secret = secret_for(signature.access_key_id)
    if secret is None:
        raise AwsError(
            UNRECOGNIZED_CLIENT, "The security token included in the request is invalid."
        )
    _check_time(stamp, moment, now)
    sent_hash = request.headers.get("x-amz-content-sha256")
    if sent_hash is not None and sent_hash != hashlib.sha256(request.body).hexdigest():
        raise AwsError(
            INVALID_SIGNATURE,
            "The x-amz-content-sha256 header does not match the hash of the request body.",
        )
    expected = expected_signature(request, signature, secret, stamp)
    if not hmac.compare_digest(expected, signature.signature):
        raise AwsError(
            INVALID_SIGNATURE,
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.",
        )
    # Acceptable until its time falls out of the window: remembered that long.
    remaining = (moment + MAX_SKEW - now).total_seconds() + 1.0
    if not seen.first_use(signature.signature, remaining):
        raise AwsError(
            INVALID_SIGNATURE,
            "This signature was already used: a request is signed anew each time it is sent "
            "(a replayed request is refused).",
        )
    return signature
