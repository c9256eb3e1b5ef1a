"""The wallboard socket's messages: the one definition of what the server sends a screen.

Every message type is a typed structure here, tagged by its `type` field, and
nothing else builds one: the message builder (connectmetrics/message_builder.py)
makes `snapshot` and `update`, dashboard/push.py the others. Encoded once per
publication with msgspec. From these types come the JSON Schema
(docs/socket-messages.schema.json) and the field lists the page's state is built
from (static/wallboard/contract.js); `python manage.py socket_contract` writes
both, and a test fails when either is stale. docs/messages.md says what each
field means and the rule that applies an `update` to a `snapshot`.
"""

from typing import Literal

import msgspec
from msgspec import UNSET, Struct, UnsetType

Level = Literal["ok", "warning", "critical"]
Status = Literal["ok", "stale", "error"]
# A metric's value; None when Amazon Connect could not calculate it.
Value = int | float | None
# [30-second bucket in epoch milliseconds, value]
TrendPoint = tuple[int, Value]
# Row key -> metric -> points, oldest first.
Trends = dict[str, dict[str, list[TrendPoint]]]


class Metric(Struct, frozen=True):
    """A column as the catalogue names it (connectmetrics/catalogue.py)."""

    name: str
    unit: str
    label: str


class Resource(Struct, frozen=True, omit_defaults=True):
    """A row's queue, routing profile or other resource dimension."""

    id: str
    arn: str
    # Queues and routing profiles: the name the database knows it by.
    name: str | UnsetType = UNSET


# A resource, or a plain value such as the channel "VOICE".
Dimension = Resource | str


class Row(Struct):
    key: str
    label: str
    dimensions: dict[str, Dimension]
    values: dict[str, Value]
    # Only the cells that have a threshold.
    levels: dict[str, Level]


class Totals(Struct):
    values: dict[str, Value]
    levels: dict[str, Level]


class RowChange(Struct, omit_defaults=True):
    """What changed in a row whose label, dimensions and cells stayed: the cells
    whose value or level changed."""

    values: dict[str, Value] = {}
    levels: dict[str, Level] = {}


class Snapshot(Struct, tag="snapshot", tag_field="type"):
    """Everything about a queue filter's numbers: what a screen starts from."""

    queue_filter: int
    seq: int
    published_at: str
    build: str
    status: Status
    reason: str
    data_snapshot_time: str | None
    fetched_at: str | None
    poll_interval: int | None
    metrics: list[Metric]
    groupings: list[str]
    # The metrics whose trend each row keeps (every row that has them).
    trend_metrics: list[str]
    rows: list[Row]
    totals: Totals
    trends: Trends


class Update(Struct, tag="update", tag_field="type", omit_defaults=True):
    """What changed since the message whose seq is `base`, for a screen that has it.

    Rows are named by their position in the base's rows (a row key is a Connect
    id of 40-60 characters, most of an update's size if repeated)."""

    queue_filter: int
    seq: int
    base: int
    published_at: str
    build: str
    status: Status
    reason: str
    data_snapshot_time: str | None
    fetched_at: str | None
    poll_interval: int | None
    totals: Totals
    # The trend bucket of this poll: every row's trend metrics get a point there,
    # their values after this update. None: no new points.
    trend_bucket: int | None = None
    # The rows in order, when the order or the set of rows changed: a number is
    # the position of a row in the base's rows, a string the key of one of `rows`.
    # A row of the base left out is gone.
    order: list[int | str] | UnsetType = UNSET
    # Rows new, or whose label, dimensions or set of cells changed: whole.
    rows: list[Row] = []
    # The other rows whose values or levels changed, by position in the base's rows.
    changes: dict[int, RowChange] = {}
    # Sent only when they changed.
    metrics: list[Metric] | UnsetType = UNSET
    groupings: list[str] | UnsetType = UNSET
    trend_metrics: list[str] | UnsetType = UNSET


class RotationEntry(Struct, frozen=True):
    slug: str
    title: str


class ScreenSettings(Struct):
    """How a screen shows a wallboard: what its page starts with and what every
    `wallboard` message repeats."""

    slug: str
    title: str
    columns: list[str]
    layout: str
    theme: str
    ticker: str
    sound_on_critical: bool
    rotation: list[RotationEntry]
    rotation_seconds: int


class WallboardMessage(ScreenSettings, tag="wallboard", tag_field="type"):
    queue_filter: int
    build: str
    published_at: str


class Heartbeat(Struct, tag="heartbeat", tag_field="type"):
    published_at: str


class Revoked(Struct, tag="revoked", tag_field="type"):
    reason: str
    published_at: str


ServerMessage = WallboardMessage | Snapshot | Update | Heartbeat | Revoked
MESSAGE_TYPES: tuple[type[Struct], ...] = (WallboardMessage, Snapshot, Update, Heartbeat, Revoked)


class Position(Struct):
    """Where a snapshot or update stands, read without decoding the rest."""

    seq: int
    base: int | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ServerMessage)
_position = msgspec.json.Decoder(Position)
_snapshot = msgspec.json.Decoder(Snapshot)


def encode(message: ServerMessage) -> str:
    """The message's text, as every socket forwards it."""
    return _encoder.encode(message).decode()


def decode(text: str | bytes) -> ServerMessage:
    """A message's text checked against the contract (msgspec.ValidationError if not)."""
    return _decoder.decode(text)


def decode_snapshot(text: str | bytes) -> Snapshot:
    return _snapshot.decode(text)


def position_of(text: str | bytes) -> Position:
    return _position.decode(text)


def field_names(struct: type[Struct]) -> list[str]:
    return [field.encode_name for field in msgspec.structs.fields(struct)]


def json_schema() -> dict[str, object]:
    return msgspec.json.schema(ServerMessage)
