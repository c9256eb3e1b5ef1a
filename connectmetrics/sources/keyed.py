"""Changes between two lists of items named by their `key` (an agent source's cards, a
today source's rows): what a compact update carries, and the same applied back to a
snapshot (the page's rule, state.js), for tests and benches to compare with a fresh one."""

from collections.abc import Sequence
from typing import Protocol, TypeVar


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


ItemT = TypeVar("ItemT", bound=Keyed)


def changes(before: Sequence[ItemT], after: Sequence[ItemT]) -> tuple[list[ItemT], list[str]]:
    """The items of `after` that are new or differ from `before`, whole, and the keys gone."""
    old = {item.key: item for item in before}
    new = {item.key for item in after}
    return [item for item in after if old.get(item.key) != item], [k for k in old if k not in new]


def applied(items: Sequence[ItemT], changed: Sequence[ItemT], gone: Sequence[str]) -> list[ItemT]:
    """`items` with the keys `gone` taken out and the `changed` items put in."""
    kept = {item.key: item for item in items}
    for key in gone:
        kept.pop(key, None)
    for item in changed:
        kept[item.key] = item
    return list(kept.values())
