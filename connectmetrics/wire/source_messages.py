"""What the messages of every kind that names its source by SourceKey (agent sources,
today sources; not the queue filter) share besides their struct's first fields
(socket_messages.py `SourceSnapshot`, `SourceUpdate`).

A kind's body (`SourceBody`) holds what a poll decides; its snapshot is that body's
fields in the envelope of one publication, and its update the same with the `base` it
follows and what the kind sends in place of its whole items (the changed ones, the keys
gone): connectmetrics/wire/message_builder.py `published` makes both. `applied` is the page's
rule (state.js) on the server's side, for tests and benches to compare with a fresh
snapshot.
"""

from typing import Any, TypeVar

import msgspec

from connectmetrics.wire.socket_messages import SourceSnapshot, SourceUpdate, Status

SnapshotT = TypeVar("SnapshotT", bound=SourceSnapshot)


class SourceBody(msgspec.Struct):
    """What every such kind's body starts with: how good its numbers are, and when the
    poll asked for them (what it shows them as of)."""

    status: Status
    reason: str
    fetched_at: str | None
    poll_interval: int | None

    def shown_at(self) -> str | None:
        return self.fetched_at


def applied(base: SnapshotT, message: SourceUpdate, **changes: Any) -> SnapshotT:
    """`base` with the fields of `message` it has (but its source) put in, and the
    `changes` (what the update carried in place of those) instead of them."""
    fields = {
        name: getattr(message, name)
        for name in base.__struct_fields__
        if name != "source" and name in message.__struct_fields__ and name not in changes
    }
    return msgspec.structs.replace(base, **fields, **changes)
