"""Reading GetMetricDataV2 answers of the simulated centre (tests/unit/simulator/test_day_*.py)."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from botocore.client import BaseClient

from connectmetrics.simulator import SimulatedCentre
from tests.simulator_support import DAY0, standard_ids

AFTERNOON = DAY0 + 15.5 * 3600
LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
COUNTS = ("CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_ABANDONED")
WALL = [
    {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 60}]},
    {
        "Name": "SUM_CONTACTS_ANSWERED_IN_X",
        "Threshold": [{"Comparison": "LT", "ThresholdValue": 60}],
    },
    {"Name": "CONTACTS_QUEUED"},
    {"Name": "CONTACTS_HANDLED"},
    {"Name": "CONTACTS_ABANDONED"},
    {"Name": "ABANDONMENT_RATE"},
    {"Name": "AVG_HANDLE_TIME"},
    {"Name": "AVG_QUEUE_ANSWER_TIME"},
    {"Name": "MAX_QUEUED_TIME"},
    {"Name": "AVG_ABANDON_TIME"},
]
# Answered at all: within the longest threshold there is.
EVER_ANSWERED = {
    "Name": "SUM_CONTACTS_ANSWERED_IN_X",
    "Threshold": [{"Comparison": "LTE", "ThresholdValue": 604_800}],
}


def at(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def local_midnight(zone: ZoneInfo, moment: float) -> float:
    day = datetime.fromtimestamp(moment, zone).date()
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def metric_data(
    client: BaseClient,
    centre: SimulatedCentre,
    start: float,
    end: float,
    *,
    period: str = "TOTAL",
    zone: str = "UTC",
    metrics: list[dict[str, Any]] | None = None,
    groupings: list[str] | None = None,
    filters: list[dict[str, Any]] | None = None,
    between: Any = None,
    **params: Any,
) -> list[dict[str, Any]]:
    """Every row of every page."""
    request = {
        "ResourceArn": centre.topology.instance_arn,
        "StartTime": at(start),
        "EndTime": at(end),
        "Interval": {"IntervalPeriod": period, "TimeZone": zone},
        "Filters": filters or [{"FilterKey": "QUEUE", "FilterValues": standard_ids(centre)}],
        "Metrics": metrics or WALL,
        **({"Groupings": groupings} if groupings is not None else {}),
        **params,
    }
    answers = [client.get_metric_data_v2(**request)]
    while "NextToken" in answers[-1]:
        if between is not None:
            between()
        answers.append(client.get_metric_data_v2(NextToken=answers[-1]["NextToken"], **request))
    return [row for answer in answers for row in answer["MetricResults"]]


def values(row: dict[str, Any]) -> dict[str, float | None]:
    """Metric values by name (the first of a name; thresholds as in WALL)."""
    found: dict[str, float | None] = {}
    for collection in row["Collections"]:
        name = collection["Metric"]["Name"]
        if "Threshold" in collection["Metric"]:
            name += f"<{collection['Metric']['Threshold'][0]['ThresholdValue']:g}"
        found.setdefault(name, collection.get("Value"))
    return found


def by_queue(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    return {row["Dimensions"]["QUEUE"]: values(row) for row in rows}
