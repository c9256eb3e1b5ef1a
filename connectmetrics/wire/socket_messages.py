"""The wallboard socket's messages: the one definition of what the server sends a screen.

Every message type is a typed structure here, tagged by its `type` field, and
nothing else builds one: the message builder (connectmetrics/wire/message_builder.py)
makes a queue filter's `snapshot` and `update`, connectmetrics/agents/cards.py an
agent source's `agent_snapshot` and `agent_update`, connectmetrics/today/panel.py a
today source's `today_snapshot` and `today_update` (each snapshot and update from its
poll's body, field by field: message_builder.py `published`),
connectmetrics/alerts/on_screens.py `alerts`, dashboard/push.py the others.

A queue filter's messages name it by `queue_filter` (its ID); every other kind's
by `source`, its SourceKey ("agent_source:4"). A panel names its source both
ways (PanelSettings), so the page routes each message to its panels. Encoded once per
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
    """A column as the catalogue names it (connectmetrics/connectapi/catalogue.py)."""

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
    whose value or level changed, each named by its metric's position in `metrics`
    (as they stand after the update): "2" rather than "AGENTS_AFTER_CONTACT_WORK"
    again in every row of every update."""

    values: dict[int, Value] = {}
    levels: dict[int, Level] = {}


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


class SourceSnapshot(Struct):
    """What every snapshot that names its source by SourceKey starts with (an agent
    source's, a today source's): the source, the publication (seq, published_at, build)
    and how good its numbers are (`fetched_at`: when the poll asked; the stale rules
    read it). Built from a poll's body by connectmetrics/wire/message_builder.py `published`."""

    source: str
    seq: int
    published_at: str
    build: str
    status: Status
    reason: str
    fetched_at: str | None
    poll_interval: int | None


class SourceUpdate(Struct):
    """What every update of a `SourceSnapshot` starts with: the same, and the `seq` of
    the message it follows (`base`)."""

    source: str
    seq: int
    base: int
    published_at: str
    build: str
    status: Status
    reason: str
    fetched_at: str | None
    poll_interval: int | None


# The activity the Connect console shows for an agent, derived from their contacts
# (connectmetrics/agents/activity.py), most urgent first.
Activity = Literal[
    "error",
    "missed",
    "rejected",
    "on_contact",
    "after_contact_work",
    "incoming",
    "custom",
    "available",
    "offline",
]


class AgentCard(Struct, omit_defaults=True):
    """One agent of an agent source: who, doing what since when (epoch ms)."""

    key: str  # the user's ID
    name: str
    activity: Activity
    # When the activity started, by the server's clock (the page ticks from it).
    since: int
    # The status the agent set (stays "Available" on a contact), or a custom one.
    status: str
    team: str = ""
    routing_profile: str = ""
    # The current contact's channel and queue name (the most urgent contact's).
    channel: str | None = None
    queue: str | None = None
    on_hold: bool = False
    # When the contact on hold was first seen on hold (epoch ms).
    hold_since: int | None = None
    # Contacts on the channel in use, and the most it takes ("2 of 3 chats").
    active: int = 0
    capacity: int = 0
    next_status: str | None = None


class ActivityThreshold(Struct, frozen=True):
    """Time in an activity (seconds) past which a card is at warning or critical;
    `activity` "on_hold" is the time a contact has been on hold."""

    activity: str
    warning: int
    critical: int


class AgentSnapshot(SourceSnapshot, tag="agent_snapshot", tag_field="type"):
    """Everything about an agent source's agents: what a screen starts from."""

    thresholds: list[ActivityThreshold]
    # In the centre's order.
    agents: list[AgentCard]


class AgentUpdate(SourceUpdate, tag="agent_update", tag_field="type", omit_defaults=True):
    """What changed since the message whose seq is `base`: the agents whose card
    changed, whole, and the keys of those gone."""

    agents: list[AgentCard] = []
    gone: list[str] = []
    thresholds: list[ActivityThreshold] | UnsetType = UNSET


# A service level against its target: met, a little below (at risk), or missed.
TargetLevel = Literal["met", "at_risk", "missed"]


class TodayFigures(Struct):
    """A queue's day so far, or the total of a today source's queues (counts summed,
    rates and averages recomputed from them: connectmetrics/today/totals.py)."""

    queued: int
    handled: int
    abandoned: int
    # Percent of the contacts queued answered within the threshold; None: none queued.
    service_level: Value
    abandonment_rate: Value
    # Seconds.
    avg_handle_time: Value
    avg_answer_time: Value
    max_queued_time: Value
    # Default: figures kept before sources chose their metrics, read back.
    avg_abandon_time: Value = None


class TodayRow(Struct):
    """One queue or routing profile of a today source (by its grouping)."""

    key: str  # the queue's or routing profile's ID
    label: str  # its name
    threshold: int  # seconds: answered within it counts towards the service level
    target: int  # percent
    level: TargetLevel | None  # None: no contact queued yet today
    figures: TodayFigures
    # The service level of each quarter hour since midnight: [start in epoch ms, percent].
    trend: list[TrendPoint]


class TodayTotal(Struct):
    """Every queue of the source together, against the instance's target."""

    target: int
    level: TargetLevel | None
    figures: TodayFigures
    trend: list[TrendPoint]


class TodaySnapshot(SourceSnapshot, tag="today_snapshot", tag_field="type"):
    """Everything about a today source's day: what a screen starts from."""

    # The range the poll asked (`fetched_at` is when it asked): the centre's local
    # midnight to `as_of` (GetMetricDataV2's EndTime).
    day_start: str | None
    as_of: str | None
    # The centre's IANA time zone; "" before the first poll.
    time_zone: str
    # By label.
    rows: list[TodayRow]
    total: TodayTotal | None
    # What a row is: QUEUE or ROUTING_PROFILE ("" before the first poll).
    grouping: str = "QUEUE"
    # The GetMetricDataV2 metrics the panel shows, in order (its columns; [] before the
    # first poll). Defaults: a snapshot kept before sources chose, read back.
    columns: list[str] = []


class TodayUpdate(SourceUpdate, tag="today_update", tag_field="type", omit_defaults=True):
    """What changed since the message whose seq is `base`: the rows that changed,
    whole, the keys of those gone, and the total."""

    day_start: str | None
    as_of: str | None
    time_zone: str
    grouping: str
    columns: list[str]
    total: TodayTotal | None
    rows: list[TodayRow] = []
    gone: list[str] = []


class RotationEntry(Struct, frozen=True):
    slug: str
    title: str


class PanelSettings(Struct, frozen=True):
    """One panel of a wallboard: the source it shows, how, and which columns.

    `source` names the source (its SourceKey); a queue filter's is also given as
    `queue_filter`, as its snapshots and updates name it. The messages of the
    panel's source are its data."""

    id: int
    title: str
    layout: str
    columns: list[str]
    source: str
    queue_filter: int | None = None


class ScreenSettings(Struct):
    """How a screen shows a wallboard: what its page starts with and what every
    `wallboard` message repeats."""

    slug: str
    title: str
    # In the order shown.
    panels: list[PanelSettings]
    theme: str
    ticker: str
    sound_on_critical: bool
    rotation: list[RotationEntry]
    rotation_seconds: int


class WallboardMessage(ScreenSettings, tag="wallboard", tag_field="type"):
    build: str
    published_at: str
    # Seconds of data time per real second (dashboard/lib/clock.py): the page's clock
    # and its ticking times run this fast; 1 but in an endurance run.
    clock_speed: float = 1.0


class Heartbeat(Struct, tag="heartbeat", tag_field="type"):
    published_at: str


class Revoked(Struct, tag="revoked", tag_field="type"):
    reason: str
    published_at: str


class OpenAlert(Struct):
    """An alert raised on a row of the queue filter and not cleared yet
    (docs/alerts.md): what a screen lists, and a supervisor acknowledges by `id`."""

    id: int
    rule: str
    # The row's label: its queue (and channel or routing profile, when grouped by them).
    row: str
    # A catalogue metric name (connectmetrics/connectapi/catalogue.py).
    metric: str
    # The latest value and level the alert saw while breached.
    value: Value
    level: Level
    # When the row first breached, and when the alert was raised.
    since: str
    raised_at: str
    acknowledged_by: str | None
    acknowledged_at: str | None


class AlertsMessage(Struct, tag="alerts", tag_field="type"):
    """Every open alert of the queue filter, oldest breach first: sent after the
    snapshot, and again whole whenever one is raised, changes value or level, is
    acknowledged or clears."""

    queue_filter: int
    published_at: str
    alerts: list[OpenAlert]


ServerMessage = (
    WallboardMessage
    | Snapshot
    | Update
    | AgentSnapshot
    | AgentUpdate
    | TodaySnapshot
    | TodayUpdate
    | AlertsMessage
    | Heartbeat
    | Revoked
)
MESSAGE_TYPES: tuple[type[Struct], ...] = (
    WallboardMessage,
    Snapshot,
    Update,
    AgentSnapshot,
    AgentUpdate,
    TodaySnapshot,
    TodayUpdate,
    AlertsMessage,
    Heartbeat,
    Revoked,
)


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
