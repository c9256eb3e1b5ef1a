"""The files generated from the socket's messages (connectmetrics/wire/socket_messages.py):
the JSON Schema for people and other clients, and the field lists the page's state is
built from. `python manage.py socket_contract` (or `make contract`) writes them; a test
fails when either is stale."""

import json
from pathlib import Path

from msgspec import Struct

from connectmetrics.wire import socket_messages as wire

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "socket-messages.schema.json"
PAGE_FIELDS = ROOT / "static" / "wallboard" / "contract.js"

# The page's name for each structure whose fields it reads.
STRUCTURES: dict[str, type[Struct]] = {
    "wallboard": wire.WallboardMessage,
    "snapshot": wire.Snapshot,
    "update": wire.Update,
    "alerts": wire.AlertsMessage,
    "agent_snapshot": wire.AgentSnapshot,
    "agent_update": wire.AgentUpdate,
    "agent": wire.AgentCard,
    "activity_threshold": wire.ActivityThreshold,
    "today_snapshot": wire.TodaySnapshot,
    "today_update": wire.TodayUpdate,
    "today_row": wire.TodayRow,
    "today_total": wire.TodayTotal,
    "today_figures": wire.TodayFigures,
    "heartbeat": wire.Heartbeat,
    "revoked": wire.Revoked,
    "screen_settings": wire.ScreenSettings,
    "panel": wire.PanelSettings,
    "row": wire.Row,
    "row_change": wire.RowChange,
    "totals": wire.Totals,
    "metric": wire.Metric,
    "resource": wire.Resource,
    "rotation_entry": wire.RotationEntry,
    "open_alert": wire.OpenAlert,
}


def fields(struct: type[Struct]) -> list[str]:
    """A structure's fields as they appear in JSON, the `type` tag first."""
    names = wire.field_names(struct)
    config = struct.__struct_config__
    return [config.tag_field, *names] if isinstance(config.tag_field, str) else names


def schema_text() -> str:
    return json.dumps(wire.json_schema(), indent=2, sort_keys=True) + "\n"


def page_fields_text() -> str:
    lines = [
        "// The wallboard socket's message fields, generated from",
        "// connectmetrics/wire/socket_messages.py by `python manage.py socket_contract`;",
        "// do not edit (a test fails when it is stale).",
        "export const FIELDS = Object.freeze({",
    ]
    for name, struct in STRUCTURES.items():
        lines.append(f"  {name}: Object.freeze({json.dumps(fields(struct))}),")
    lines.append("});")
    return "\n".join(lines) + "\n"


def generated() -> dict[Path, str]:
    return {SCHEMA: schema_text(), PAGE_FIELDS: page_fields_text()}
