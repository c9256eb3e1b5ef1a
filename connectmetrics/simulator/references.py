"""IDs and ARNs of a centre's resources, as the agent APIs take them, and their checks.

Connect takes a resource as its ID (a UUID) or its ARN
(``arn:aws:connect:<region>:<account>:instance/<instance-id>/<kind>/<id>``);
users are ``agent``, hierarchy groups ``agent-group``.
"""

import re
from collections.abc import Mapping
from typing import Any

from connectmetrics.connectapi import rules
from connectmetrics.simulator.errors import ApiError

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID_RE = re.compile(_UUID)
_ARN_RE = re.compile(
    rf"arn:aws(?:-[a-z]+)*:connect:[a-z0-9-]+:[0-9]{{12}}:instance/{_UUID}"
    rf"/(?P<kind>agent|agent-group|queue|routing-profile)/(?:agent/)?(?P<id>{_UUID})"
)


def resource_id(value: object, kind: str, field: str) -> str:
    """The ID of a resource given as ID or ARN; InvalidParameterException otherwise."""
    if isinstance(value, str):
        if _UUID_RE.fullmatch(value):
            return value
        match = _ARN_RE.fullmatch(value)
        if match is not None and match["kind"] == kind:
            return match["id"]
    raise ApiError(
        rules.INVALID_PARAMETER,
        f"{field}: {value!r} is neither a {kind} ID (a UUID) nor a {kind} ARN "
        f"(arn:aws:connect:<region>:<account>:instance/<instance-id>/{kind}/<id>)",
    )


def id_list(value: object, kind: str, field: str, *, minimum: int, maximum: int) -> list[str]:
    if not isinstance(value, list):
        raise ApiError(rules.INVALID_PARAMETER, f"{field}: must be a list")
    if not minimum <= len(value) <= maximum:
        raise ApiError(
            rules.INVALID_PARAMETER,
            f"{field}: takes {minimum} to {maximum} entries; got {len(value)}",
        )
    return [resource_id(item, kind, field) for item in value]


def only_keys(body: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = [key for key in body if key not in known]
    if unknown:
        raise ApiError(
            rules.INVALID_REQUEST, f"{where}: {', '.join(map(str, unknown))} is not a parameter"
        )


def max_results(value: object, *, default: int, maximum: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ApiError(
            rules.INVALID_PARAMETER, f"MaxResults: must be a whole number from 1 to {maximum}"
        )
    return value
