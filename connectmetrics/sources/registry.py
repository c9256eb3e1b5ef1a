"""The source kinds the poller serves, by name.

`KINDS` lists each kind by dotted path (loaded on first use, so this package
imports no kind and every kind may import the poller's layers). Adding a kind is
one line here; tests plug in their own with `registered`.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils.module_loading import import_string

from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.kind import SourceKind

KINDS: tuple[str, ...] = (
    "connectmetrics.queues.kind.QUEUE_FILTERS",
    "connectmetrics.agents.kind.AGENT_SOURCES",
    "connectmetrics.today.kind.TODAY_SOURCES",
)

# Work a kind does besides its polls, on its own slower schedule: (dotted path of a
# function taking no arguments, seconds between runs). Celery beat runs each as the
# task connectmetrics.run_chore (dashboard/celery.py), embedded mode on its loop
# (connectmetrics/poller/embedded.py).
CHORES: tuple[tuple[str, float], ...] = (
    # The agent grid's names, never read per poll.
    ("connectmetrics.agents.directory.refresh_due", 60.0),
)

_kinds: dict[str, SourceKind] | None = None
_lock = threading.Lock()


def _loaded() -> dict[str, SourceKind]:
    global _kinds
    with _lock:
        if _kinds is None:
            kinds: list[SourceKind] = [import_string(path) for path in KINDS]
            _kinds = {kind.name: kind for kind in kinds}
        return _kinds


def kinds() -> list[SourceKind]:
    return list(_loaded().values())


def kind_named(name: str) -> SourceKind:
    kind = _loaded().get(name)
    if kind is None:
        raise LookupError(f"no source kind named {name!r} (connectmetrics/sources/registry.py)")
    return kind


def kind_of(key: SourceKey) -> SourceKind:
    return kind_named(key.kind)


def run_chore(path: str) -> None:
    """Run one of CHORES."""
    if path not in dict(CHORES):
        raise LookupError(f"no chore {path!r} (connectmetrics/sources/registry.py CHORES)")
    import_string(path)()


@contextmanager
def registered(kind: SourceKind) -> Iterator[SourceKind]:
    """Serve one more kind within this block (a test's own kind)."""
    loaded = _loaded()
    with _lock:
        loaded[kind.name] = kind
    try:
        yield kind
    finally:
        with _lock:
            loaded.pop(kind.name, None)
