"""The name of one source everywhere the poller keeps state: its kind and its ID."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceKey:
    kind: str  # the kind's name, e.g. "queue_filter"
    id: int  # the source's primary key in its kind's model

    def __str__(self) -> str:
        """As it appears in shared-state keys: "queue_filter:7"."""
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> "SourceKey":
        """The key a panel's `source` names (ValueError when it is not one)."""
        kind, _, source_id = text.rpartition(":")
        if not kind or not source_id.isdigit():
            raise ValueError(f"not a source key: {text!r} (kind:id)")
        return cls(kind, int(source_id))
