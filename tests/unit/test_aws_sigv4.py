"""The SigV4 verifier's edge cases, each request signed by botocore's own signer."""

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from unittest import mock

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from connectmetrics.awsapi import replay
from connectmetrics.awsapi.errors import AwsError
from connectmetrics.awsapi.replay import LocalSeenSignatures
from connectmetrics.awsapi.sigv4 import Signature, SignedRequest, verify

KEY_ID = "CWAKTESTKEY234567ABC"
SECRET = "a-secret-of-forty-characters-0123456789x"
NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
PATH = "/aws/metrics/current/00000000-0000-4000-8000-000000000001"
HOST = "wallboard.example:8443"
SCOPE = "CWAK/20261202/eu-west-2/connect/aws4_request"
SIGNED_PARTS = "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64


def signed(
    *,
    method: str = "POST",
    path: str = PATH,
    query: str = "",
    body: bytes = b'{"Filters": {}}',
    headers: Mapping[str, str] | None = None,
    secret: str = SECRET,
    key_id: str = KEY_ID,
    at: datetime = NOW,
    region: str = "eu-west-2",
    service: str = "connect",
) -> SignedRequest:
    """A request signed by botocore, as the server receives it."""
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda: at):
        SigV4Auth(Credentials(key_id, secret), service, region).add_auth(request)
    sent = {name.lower(): str(value) for name, value in request.headers.items()}
    return SignedRequest(method, path, query, {"host": HOST, **sent}, body)


def check(
    request: SignedRequest, *, now: datetime = NOW, seen: LocalSeenSignatures | None = None
) -> Signature:
    return verify(
        request,
        secret_for=lambda key_id: SECRET if key_id == KEY_ID else None,
        seen=seen or LocalSeenSignatures(),
        now=now,
    )


def refusal(request: SignedRequest, *, now: datetime = NOW) -> tuple[str, str]:
    with pytest.raises(AwsError) as caught:
        check(request, now=now)
    return caught.value.error_type, caught.value.message


def with_headers(request: SignedRequest, **changes: str | None) -> SignedRequest:
    headers = dict(request.headers)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return SignedRequest(request.method, request.path, request.query, headers, request.body)


def test_a_request_botocore_signed_is_accepted() -> None:
    signature = check(signed())
    assert (signature.access_key_id, signature.region, signature.service) == (
        KEY_ID,
        "eu-west-2",
        "connect",
    )


def test_a_get_with_an_encoded_query_and_an_arn_in_the_path() -> None:
    arn = (
        "arn%3Aaws%3Aconnect%3Aeu-west-2%3A123456789012%3Ainstance%2F"
        "00000000-0000-4000-8000-000000000001"
    )
    query = "maxResults=7&nextToken=eyJrIjoxfQ%3D%3D.a%2Bb&queueTypes=STANDARD&queueTypes=AGENT"
    request = signed(method="GET", path=f"/aws/queues-summary/{arn}", query=query, body=b"")
    assert check(request).access_key_id == KEY_ID
    changed = SignedRequest("GET", request.path, query.replace("7", "8"), request.headers, b"")
    assert refusal(changed)[0] == "InvalidSignatureException"


def test_no_authorization_header() -> None:
    assert refusal(with_headers(signed(), authorization=None)) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


@pytest.mark.parametrize(
    "header",
    [
        "AWS4-HMAC-SHA1 Credential=x, SignedHeaders=host, Signature=00",
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date",
        f"AWS4-HMAC-SHA256 Credential=CWAK/eu-west-2/connect/aws4_request, {SIGNED_PARTS}",
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date, Signature=xyz",
        "AWS4-HMAC-SHA256 garbage",
    ],
)
def test_a_malformed_authorization_header_is_an_incomplete_signature(header: str) -> None:
    assert (
        refusal(with_headers(signed(), authorization=header))[0] == "IncompleteSignatureException"
    )


def test_an_unknown_access_key() -> None:
    assert refusal(signed(key_id="CWAKSOMEONEELSE23456")) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_a_wrong_secret() -> None:
    error, message = refusal(signed(secret=SECRET[::-1]))
    assert error == "InvalidSignatureException"
    assert message.startswith("The request signature we calculated does not match")


def test_a_body_changed_after_signing() -> None:
    request = signed()
    tampered = SignedRequest(request.method, request.path, "", request.headers, b'{"Filters": []}')
    assert refusal(tampered)[0] == "InvalidSignatureException"


def test_a_payload_hash_header_must_be_the_body_hash() -> None:
    body = b'{"Filters": {}}'
    good = signed(headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()})
    assert check(good).access_key_id == KEY_ID
    lying = signed(headers={"X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()})
    error, message = refusal(lying)
    assert error == "InvalidSignatureException" and "x-amz-content-sha256" in message
    unsigned = signed(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert refusal(unsigned)[0] == "InvalidSignatureException"


@pytest.mark.parametrize("left_out", ["host", "x-amz-date"])
def test_host_and_date_must_be_signed(left_out: str) -> None:
    request = signed(headers={"X-Custom": "1"})
    header = request.headers["authorization"]
    signed_headers = header.split("SignedHeaders=")[1].split(",")[0]
    kept = ";".join(name for name in signed_headers.split(";") if name != left_out)
    forged = with_headers(request, authorization=header.replace(signed_headers, kept))
    error, message = refusal(forged)
    assert error == "InvalidSignatureException"
    assert ("Host" if left_out == "host" else "X-Amz-Date") in message


def test_no_request_time() -> None:
    assert refusal(with_headers(signed(), x_amz_date=None))[0] == "IncompleteSignatureException"


@pytest.mark.parametrize(
    ("skew", "expected"),
    [
        (timedelta(minutes=-5, seconds=-1), "Signature expired: 20261202T115459Z is now earlier"),
        (timedelta(minutes=5, seconds=1), "Signature not yet current: 20261202T120501Z is still"),
    ],
)
def test_more_than_five_minutes_of_skew(skew: timedelta, expected: str) -> None:
    error, message = refusal(signed(at=NOW + skew))
    assert error == "InvalidSignatureException"
    assert message.startswith(expected)


@pytest.mark.parametrize("skew", [timedelta(minutes=-5), timedelta(minutes=5)])
def test_five_minutes_of_skew_is_accepted(skew: timedelta) -> None:
    assert check(signed(at=NOW + skew)).access_key_id == KEY_ID


def test_the_scope_names_connect_a_region_where_it_runs_and_the_day_signed() -> None:
    assert "correct service: 'connect'" in refusal(signed(service="s3"))[1]
    assert "valid region" in refusal(signed(region="mars-north-1"))[1]
    request = signed()
    header = request.headers["authorization"].replace("/20261202/", "/20261201/")
    error, message = refusal(with_headers(request, authorization=header))
    assert error == "InvalidSignatureException" and "Date in Credential scope" in message


def test_a_replay_within_the_window_is_refused_until_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(replay.time, "monotonic", lambda: clock[0])
    seen = replay.LocalSeenSignatures()
    request = signed()
    signature = check(request, seen=seen)
    # The same request made twice at once (two threads, one second) is not a replay.
    clock[0] += 0.5
    assert check(request, seen=seen).signature == signature.signature
    clock[0] += 1.0
    with pytest.raises(AwsError) as caught:
        check(request, seen=seen, now=NOW + timedelta(minutes=2))
    assert caught.value.error_type == "InvalidSignatureException"
    assert "already used" in caught.value.message
    # A refused request is forgotten, so an SDK's identical retry goes through.
    seen.forget(signature.signature)
    assert check(request, seen=seen).signature == signature.signature
