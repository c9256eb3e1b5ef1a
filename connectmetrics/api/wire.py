"""Connect's answers as JSON: how they are kept, and how each endpoint writes their times.

botocore parses an answer's timestamps into datetimes; the cache keeps an answer as
Connect's wire carries it (REST-JSON: timestamps in epoch seconds), which is also what
the drop-in endpoint under /aws/ sends. The envelope endpoints write those timestamps
as ISO 8601 in UTC, as the metrics endpoint writes DataSnapshotTime.
"""

from datetime import UTC, datetime
from typing import Any

from connectmetrics.wire.message_builder import iso

# The timestamp members of the answers kept as records (botocore's Connect model):
# UserData's Status and Contacts, GetMetricDataV2's MetricInterval.
TIMESTAMP_FIELDS = frozenset(
    {
        "StatusStartTimestamp",
        "StateStartTimestamp",
        "ConnectedToAgentTimestamp",
        "StartTime",
        "EndTime",
    }
)


def wire(value: Any) -> Any:
    """A parsed botocore answer back into its JSON: timestamps as epoch seconds, no
    ResponseMetadata."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {key: wire(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [wire(item) for item in value]
    return value


def with_iso_times(value: Any) -> Any:
    """A record as kept, its timestamps written as ISO 8601 in UTC."""
    if isinstance(value, dict):
        return {
            key: _iso(item) if key in TIMESTAMP_FIELDS else with_iso_times(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [with_iso_times(item) for item in value]
    return value


def _iso(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return iso(datetime.fromtimestamp(value, UTC))
    return value
