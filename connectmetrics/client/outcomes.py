"""What can go wrong upstream, in the few words the rest of the project acts on.

Raw botocore exceptions never leave connectmetrics.client.client: the poller, the
admin and the metrics endpoint only see an UpstreamError with an Outcome.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import BotoCoreError, ClientError


class Outcome(StrEnum):
    THROTTLED = "throttled"
    NOT_FOUND = "not_found"
    ACCESS_DENIED = "access_denied"
    INVALID_REQUEST = "invalid_request"
    UNAVAILABLE = "unavailable"


# What a supervisor or an admin is told, per outcome.
DESCRIPTIONS: dict[Outcome, str] = {
    Outcome.THROTTLED: "Amazon Connect is throttling requests",
    Outcome.NOT_FOUND: "The Connect instance was not found",
    Outcome.ACCESS_DENIED: "Access to the Connect instance was denied",
    Outcome.INVALID_REQUEST: "Amazon Connect rejected the request",
    Outcome.UNAVAILABLE: "Amazon Connect could not be reached",
}

_BY_ERROR_CODE: dict[str, Outcome] = {
    "ThrottlingException": Outcome.THROTTLED,
    "TooManyRequestsException": Outcome.THROTTLED,
    "LimitExceededException": Outcome.THROTTLED,
    "ResourceNotFoundException": Outcome.NOT_FOUND,
    "AccessDeniedException": Outcome.ACCESS_DENIED,
    "UnrecognizedClientException": Outcome.ACCESS_DENIED,
    "InvalidClientTokenId": Outcome.ACCESS_DENIED,
    "ExpiredTokenException": Outcome.ACCESS_DENIED,
    "InvalidRequestException": Outcome.INVALID_REQUEST,
    "InvalidParameterException": Outcome.INVALID_REQUEST,
    "ValidationException": Outcome.INVALID_REQUEST,
}


class UpstreamError(Exception):
    def __init__(self, outcome: Outcome, error_class: str, message: str) -> None:
        super().__init__(f"{error_class}: {message}")
        self.outcome = outcome
        self.error_class = error_class
        self.message = message

    @property
    def description(self) -> str:
        """One sentence for people: what happened, then AWS's own words."""
        base = DESCRIPTIONS[self.outcome]
        return f"{base} ({self.error_class}: {self.message})" if self.message else base


def classify(error: Exception) -> UpstreamError:
    """Turn anything boto3 raised into an UpstreamError."""
    if isinstance(error, UpstreamError):
        return error
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code", "")) or type(error).__name__
        message = str(info.get("Message", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        outcome = _BY_ERROR_CODE.get(code)
        if outcome is None:
            outcome = {
                429: Outcome.THROTTLED,
                403: Outcome.ACCESS_DENIED,
                404: Outcome.NOT_FOUND,
            }.get(int(status or 0), Outcome.UNAVAILABLE)
        return UpstreamError(outcome, code, message)
    if isinstance(error, BotoCoreError):
        # Credentials missing, endpoint unreachable, timeouts, bad parameters.
        name = type(error).__name__
        if name in {"NoCredentialsError", "PartialCredentialsError", "NoRegionError"}:
            return UpstreamError(Outcome.ACCESS_DENIED, name, str(error))
        if name == "ParamValidationError":
            return UpstreamError(Outcome.INVALID_REQUEST, name, str(error))
        return UpstreamError(Outcome.UNAVAILABLE, name, str(error))
    return UpstreamError(Outcome.UNAVAILABLE, type(error).__name__, str(error))


@dataclass(frozen=True)
class Violation:
    """A request rule a source's request breaks (the agent and today sources' rules.py)."""

    code: str  # AWS's exception name
    field: str  # the source's (or its instance's) field it concerns ("" when none)
    message: str


def refuse(violations: Sequence[Violation]) -> None:
    """Raise UpstreamError(INVALID_REQUEST) when the request rules refuse a request (the
    first rule's AWS exception, every rule's message): a poll then fails before spending
    quota on a call AWS would refuse."""
    if violations:
        raise UpstreamError(
            Outcome.INVALID_REQUEST,
            violations[0].code,
            "; ".join(v.message for v in violations),
        )
