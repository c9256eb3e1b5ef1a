"""What a failed poll shows, for every kind: the last good numbers, marked stale.

Each kind's message builder makes its body after a failed poll from this rule, and an
error body of its own when there were no good numbers before.
"""

from typing import TypeVar

import msgspec

BodyT = TypeVar("BodyT", bound=msgspec.Struct)


def marked_stale(last_good: BodyT, *, reason: str, poll_interval: int) -> BodyT:
    """The last good body, its numbers kept, marked stale with the reason and the
    instance's poll interval now (every kind's body has `status`, `reason` and
    `poll_interval`)."""
    return msgspec.structs.replace(
        last_good, status="stale", reason=reason, poll_interval=poll_interval
    )
