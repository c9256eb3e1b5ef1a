"""The errors the simulated centre answers with, as AWS names them."""

# The HTTP status AWS gives each exception (from the service model).
STATUS: dict[str, int] = {
    "InvalidRequestException": 400,
    "InvalidParameterException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ThrottlingException": 429,
    "InternalServiceException": 500,
    # Not an AWS error: an operation the simulator does not implement.
    "NotImplemented": 501,
}


class ApiError(Exception):
    """An error answer: botocore raises the modeled exception named ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS[self.code]
