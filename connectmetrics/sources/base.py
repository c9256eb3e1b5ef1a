"""What every kind whose sources are rows of a `PolledSource` model does alike.

A kind's `Source` (kind.py) is mostly its own: its request, rules, fetch, reading and
messages. Who the source is, how a poll's outcome is noted on its row and how its body
is kept as text in the readings store are the same for every kind: `PolledModelSource`
does them once. `PolledModelKind` finds a kind's sources (the enabled ones to poll, one
to load). What a failed poll shows is the same for every kind's body too: stale.py.
Publishing is the poller's, for every kind (connectmetrics/poller/polling.py `to_screens`).

A kind whose messages name their source by SourceKey (the agent source, the today
source) has them built by a module of its own (`MessageBuilder`: agents/cards.py,
today/panel.py); `BuiltMessages` makes their texts from it and `BuiltMessagesKind` the
placeholder snapshot, so the kind names that module and its snapshot's struct once.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

import msgspec
from django.db import models

from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.kind import Body, Instance, Trends, enabled_sources
from connectmetrics.sources.polled import PolledSource

BodyT = TypeVar("BodyT", bound=msgspec.Struct)
SourceT = TypeVar("SourceT")

_encoder = msgspec.json.Encoder()


class PolledModelSource(Generic[BodyT]):
    """The shared part of a kind's `Source`. A subclass names its body's struct
    (`class QueueFilterSource(PolledModelSource[Body], body=Body)`), its instance's
    model (`instance: ConnectInstance`) and supplies the rest of kind.py's `Source`."""

    _decoder: ClassVar[msgspec.json.Decoder[Any]]

    def __init_subclass__(cls, *, body: type[msgspec.Struct], **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._decoder = msgspec.json.Decoder(body)

    def __init__(self, polled: PolledSource, *, name: str, instance: Instance) -> None:
        self._model = type(polled)
        self.key: SourceKey = polled.source_key
        self.name = name
        self.instance = instance
        self.enabled: bool = polled.enabled and instance.enabled

    def record(self, polled_at: datetime, *, error: str = "") -> None:
        rows = self._model._default_manager.filter(pk=self.key.id)
        if error:
            rows.update(last_polled_at=polled_at, last_error_message=error)
        else:
            rows.update(last_polled_at=polled_at, last_success_at=polled_at, last_error_message="")

    def encode_body(self, body: Body) -> str:
        return _encoder.encode(body).decode()

    def decode_body(self, text: str | bytes) -> BodyT:
        return cast(BodyT, self._decoder.decode(text))


class PolledModelKind(Generic[SourceT]):
    """The shared part of a `SourceKind` whose sources are rows of `model`, each loaded
    for a poll as `source(row)`."""

    def __init__(self, model: type[PolledSource], source: Callable[[Any], SourceT]) -> None:
        self.name: str = model.SOURCE_KIND
        # Each kind's model has its own `instance` (PolledSource has none to name).
        self._model: type[models.Model] = model
        self._source = source

    def pollable(self) -> list[tuple[int, int]]:
        return enabled_sources(self._model)

    def load(self, source_id: int) -> SourceT | None:
        found = self._model._default_manager.select_related("instance").filter(pk=source_id).first()
        return self._source(found) if found is not None else None


class MessageBuilder(Protocol):
    """The module that builds a kind's messages from its body, each naming its source by
    its SourceKey (text), each through connectmetrics/wire/message_builder.py `published`."""

    def snapshot(
        self, source: str, *, seq: int, body: Any, published_at: datetime, build: str
    ) -> msgspec.Struct: ...

    def update(
        self, base: Any, *, seq: int, body: Any, published_at: datetime, build: str
    ) -> msgspec.Struct: ...

    def waiting_snapshot(
        self, source: str, *, published_at: datetime, build: str
    ) -> msgspec.Struct: ...


class BuiltMessages:
    """The `snapshot_text` and `update_text` of a kind's `Source` whose messages its
    `MessageBuilder` builds. A subclass names the builder and its snapshot's struct:
    `class AgentSourceSource(PolledModelSource[AgentsBody], BuiltMessages, body=AgentsBody,
    messages=cards, snapshot=AgentSnapshot)`. (Trend history and buckets are the queue
    filter's alone: its kind writes its own texts.)"""

    key: SourceKey
    messages: ClassVar[MessageBuilder]
    _snapshot_decoder: ClassVar[msgspec.json.Decoder[Any]]

    def __init_subclass__(
        cls, *, messages: MessageBuilder, snapshot: type[msgspec.Struct], **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls.messages = messages
        cls._snapshot_decoder = msgspec.json.Decoder(snapshot)

    def snapshot_text(
        self, *, seq: int, body: Body, published_at: datetime, build: str, trends: Trends
    ) -> str:
        message = self.messages.snapshot(
            str(self.key), seq=seq, body=body, published_at=published_at, build=build
        )
        return _encoder.encode(message).decode()

    def update_text(
        self,
        base_text: str,
        *,
        seq: int,
        body: Body,
        published_at: datetime,
        build: str,
        bucket: int | None,
    ) -> str:
        message = self.messages.update(
            self._snapshot_decoder.decode(base_text),
            seq=seq,
            body=body,
            published_at=published_at,
            build=build,
        )
        return _encoder.encode(message).decode()


class BuiltSource(Protocol):
    """A kind's `Source` class with `BuiltMessages`, as its kind loads one."""

    messages: ClassVar[MessageBuilder]

    def __init__(self, polled: Any, /) -> None: ...


BuiltSourceT = TypeVar("BuiltSourceT", bound=BuiltSource)


class BuiltMessagesKind(PolledModelKind[BuiltSourceT]):
    """A `PolledModelKind` whose sources' messages their `MessageBuilder` builds: the
    snapshot a screen gets before a source's first poll is that builder's too."""

    def __init__(self, model: type[PolledSource], source: type[BuiltSourceT]) -> None:
        super().__init__(model, source)
        self._messages = source.messages

    def waiting_text(self, source_id: int, published_at: datetime, build: str) -> str:
        key = str(SourceKey(self.name, source_id))
        message = self._messages.waiting_snapshot(key, published_at=published_at, build=build)
        return _encoder.encode(message).decode()
