"""The OpenAPI 3.1 document of the envelope endpoints, built from the catalogue, the request
rules and the envelope.

Names, units, limits and error codes come from where they are defined, so the
document cannot drift from what the endpoint does. The rules that tie several
fields together (CHANNEL grouping needs a Channels filter, ...) are beyond JSON
Schema; the endpoint refuses them with a VALIDATION_ERROR naming the rule.
"""

from typing import Any

from connectmetrics.api.envelope import MEANINGS, STATUS, ErrorCode
from connectmetrics.connectapi import catalogue
from connectmetrics.simulator import metric_data_request, userdata
from connectmetrics.simulator.intervals import PERIODS

UNITS_NOTE = (
    "Values are always in the unit that `Unit` names. Unlike GetCurrentMetricData itself, "
    "OLDEST_CONTACT_AGE is in seconds with or without Groupings (AWS gives it in milliseconds "
    "when there are no Groupings while its Unit says SECONDS)."
)

DESCRIPTION = f"""GetCurrentMetricData's request, answered from the cache the wallboard's poller
keeps fresh, so other tools read live Amazon Connect metrics without spending the account's
shared quota (5 requests per second, burst 8).

An answer comes from a snapshot of the same request fresher than the instance's poll interval,
or from a fresher snapshot of a queue filter that answers it exactly (for example a subset of
its queues), or from one upstream call shared by every caller asking the same at that moment,
under the rate governor. Over quota the answer is THROTTLED with Retry-After: Amazon Connect
never sees the call.

{UNITS_NOTE} Configured queues with no contacts and no agents (which AWS leaves out) appear
as rows of zeros when the answer is grouped by QUEUE. A Value of null means Amazon Connect
could not calculate it.

MetricResults are sorted as SortCriteria asks (default AGENTS_ONLINE descending; unknown values
last; ties by dimension) and paged by MaxResults (default {catalogue.MAX_RESULTS}). NextToken is
opaque, good for {catalogue.NEXT_TOKEN_TTL_SECONDS // 60} minutes and only with the same
parameters; every page of one walk comes from the same snapshot."""


_FROM_THE_CACHE = f"""Answered, in this order, from the answer to the same request fresher than the
instance's poll interval; from the poll of a source of the wallboard that covers the request;
or from one upstream call shared by every caller asking the same at that moment, under the
rate governor (over quota: THROTTLED with Retry-After, and Amazon Connect never sees the call),
kept for the poll interval. The rules are Amazon Connect's, as the simulated centre enforces
them; a request breaking one is a VALIDATION_ERROR naming the field and the rule.

Records are paged by MaxResults (default {userdata.MAX_RESULTS}); NextToken is opaque, good
for {catalogue.NEXT_TOKEN_TTL_SECONDS // 60} minutes and only with the same parameters; every
page of one walk comes from the same answer. Timestamps are ISO 8601 in UTC; FetchedAt says
when the answer was fetched from Amazon Connect."""

USER_DATA_DESCRIPTION = f"""GetCurrentUserData's request: the agents logged in now, their status,
slots and contacts. An enabled agent source whose last poll is fresher than the poll interval
answers a request for the same queues or hierarchy group, or for some of its routing
profiles or agents, with the same contact states.

{_FROM_THE_CACHE}"""

METRIC_DATA_DESCRIPTION = f"""GetMetricDataV2's request: historical metrics such as today's
service level, handled and abandoned contacts. ResourceArn may be left out (the instance in
the URL is asked); when given it must be that instance's ARN. An enabled today source whose
last poll is fresher than the poll interval answers a request for its day (the same StartTime,
TimeZone and interval, TOTAL or FIFTEEN_MIN, an EndTime from its poll's on), grouped as its
rows are (QUEUE, or ROUTING_PROFILE for a source of routing profiles), for some of its queues
or routing profiles and the same channels, and some of the metrics it asks at the same
thresholds; its records show the poll's EndTime.

{_FROM_THE_CACHE}"""


def _string_list(maximum: int, *, enum: list[str] | None = None) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "string", "minLength": 1}
    if enum is not None:
        items = {"type": "string", "enum": enum}
    return {"type": "array", "items": items, "minItems": 1, "maxItems": maximum}


def _reference(id_kind: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"Id": {"type": "string"}, "Arn": {"type": "string"}},
        "description": f"The {id_kind} (its ID and, where Amazon Connect gives it, its ARN).",
    }


def _schemas() -> dict[str, Any]:
    metric_names = list(catalogue.METRICS)
    sortable = [name for name in metric_names if name not in catalogue.UNSORTABLE_METRICS]
    return {
        "Filters": {
            "type": "object",
            "additionalProperties": False,
            "description": "Queues or RoutingProfiles (not both), as IDs or ARNs.",
            "properties": {
                "Queues": _string_list(catalogue.MAX_QUEUES),
                "RoutingProfiles": _string_list(catalogue.MAX_ROUTING_PROFILES),
                "Channels": _string_list(
                    catalogue.MAX_CHANNELS, enum=[str(c) for c in catalogue.Channel]
                ),
                "RoutingStepExpressions": _string_list(catalogue.MAX_ROUTING_STEP_EXPRESSIONS),
                "AgentStatuses": _string_list(catalogue.MAX_AGENT_STATUSES),
                "Subtypes": _string_list(catalogue.MAX_SUBTYPES),
                "ValidationTestTypes": _string_list(catalogue.MAX_VALIDATION_TEST_TYPES),
            },
        },
        "CurrentMetric": {
            "description": "A metric and its unit, as the catalogue below pairs them.",
            "oneOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["Name", "Unit"],
                    "properties": {
                        "Name": {"const": metric.name, "description": metric.description},
                        "Unit": {"const": str(metric.unit)},
                    },
                }
                for metric in catalogue.METRICS.values()
            ],
        },
        "SortCriterion": {
            "type": "object",
            "additionalProperties": False,
            "required": ["SortByMetric", "SortOrder"],
            "properties": {
                "SortByMetric": {"type": "string", "enum": sortable},
                "SortOrder": {"type": "string", "enum": [str(o) for o in catalogue.SortOrder]},
            },
        },
        "GetCurrentMetricDataRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["Filters", "CurrentMetrics"],
            "properties": {
                "InstanceId": {
                    "type": "string",
                    "description": "Optional; when given it must be the instance in the URL.",
                },
                "Filters": {"$ref": "#/components/schemas/Filters"},
                "Groupings": {
                    "type": "array",
                    "items": {"type": "string", "enum": [str(g) for g in catalogue.Grouping]},
                    "maxItems": catalogue.MAX_GROUPINGS,
                    "uniqueItems": True,
                },
                "CurrentMetrics": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/CurrentMetric"},
                    "minItems": 1,
                    "maxItems": len(metric_names),
                },
                "SortCriteria": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/SortCriterion"},
                    "maxItems": catalogue.MAX_SORT_CRITERIA,
                },
                "MaxResults": {"type": "integer", "minimum": 1, "maximum": catalogue.MAX_RESULTS},
                "NextToken": {"type": "string", "minLength": 1},
            },
        },
        "MetricResult": {
            "type": "object",
            "required": ["Dimensions", "Collections"],
            "properties": {
                "Dimensions": {
                    "type": "object",
                    "properties": {
                        "Queue": _reference("queue"),
                        "Channel": {"type": "string", "enum": [str(c) for c in catalogue.Channel]},
                        "RoutingProfile": _reference("routing profile"),
                        "RoutingStepExpression": {"type": "string"},
                        "AgentStatus": _reference("agent status"),
                        "Subtype": {"type": "string"},
                        "ValidationTestType": {"type": "string"},
                    },
                },
                "Collections": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["Metric", "Value"],
                        "properties": {
                            "Metric": {
                                "type": "object",
                                "properties": {
                                    "Name": {"type": "string", "enum": metric_names},
                                    "Unit": {
                                        "type": "string",
                                        "enum": [str(u) for u in catalogue.Unit],
                                    },
                                },
                            },
                            "Value": {"type": ["number", "null"], "description": UNITS_NOTE},
                        },
                    },
                },
            },
        },
        **_records_schemas(),
        "Success": {
            "type": "object",
            "required": ["success", "data"],
            "properties": {
                "success": {"const": True},
                "data": {
                    "type": "object",
                    "required": [
                        "MetricResults",
                        "NextToken",
                        "DataSnapshotTime",
                        "ApproximateTotalCount",
                    ],
                    "properties": {
                        "MetricResults": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/MetricResult"},
                        },
                        "NextToken": {
                            "type": ["string", "null"],
                            "description": "null on the last page.",
                        },
                        "DataSnapshotTime": {
                            "type": ["string", "null"],
                            "format": "date-time",
                            "description": "When Amazon Connect took these numbers (UTC, ms).",
                        },
                        "ApproximateTotalCount": {
                            "type": "integer",
                            "description": "Rows in the whole answer, over every page.",
                        },
                    },
                },
            },
        },
        "Error": {
            "type": "object",
            "required": ["success", "error"],
            "properties": {
                "success": {"const": False},
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": [str(c) for c in ErrorCode]},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }


def _ids(maximum: int, minimum: int = 1) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": minimum,
        "maxItems": maximum,
        "description": "IDs or ARNs.",
    }


def _records_success(results: str, record: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {
            "success": {"const": True},
            "data": {
                "type": "object",
                "required": [results, "NextToken", "ApproximateTotalCount", "FetchedAt"],
                "properties": {
                    results: {
                        "type": "array",
                        "items": {"$ref": f"#/components/schemas/{record}"},
                    },
                    "NextToken": {
                        "type": ["string", "null"],
                        "description": "null on the last page.",
                    },
                    "ApproximateTotalCount": {
                        "type": "integer",
                        "description": "Records in the whole answer, over every page.",
                    },
                    "FetchedAt": {
                        "type": "string",
                        "format": "date-time",
                        "description": "When the answer was fetched from Amazon Connect (UTC).",
                    },
                },
            },
        },
    }


def _records_schemas() -> dict[str, Any]:
    reference = {"$ref": "#/components/schemas/Reference"}
    return {
        "Reference": _reference("resource"),
        "GetCurrentUserDataRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["Filters"],
            "properties": {
                "InstanceId": {
                    "type": "string",
                    "description": "Optional; when given it must be the instance in the URL.",
                },
                "Filters": {
                    "type": "object",
                    "additionalProperties": False,
                    "description": "Exactly one of Queues, RoutingProfiles, Agents and "
                    "UserHierarchyGroups, and optionally ContactFilter.",
                    "properties": {
                        "Queues": _ids(catalogue.MAX_QUEUES),
                        "RoutingProfiles": _ids(catalogue.MAX_ROUTING_PROFILES),
                        "Agents": _ids(userdata.MAX_RESULTS),
                        "UserHierarchyGroups": _ids(1, 1),
                        "ContactFilter": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "ContactStates": {
                                    "type": "array",
                                    "items": {"enum": list(userdata.CONTACT_STATES)},
                                    "maxItems": len(userdata.CONTACT_STATES),
                                }
                            },
                        },
                    },
                },
                "MaxResults": {"type": "integer", "minimum": 1, "maximum": userdata.MAX_RESULTS},
                "NextToken": {"type": "string", "minLength": 1},
            },
        },
        "UserData": {
            "type": "object",
            "description": "One logged-in agent, as GetCurrentUserData gives it.",
            "properties": {
                "User": reference,
                "RoutingProfile": reference,
                "HierarchyPath": {"type": "object", "additionalProperties": reference},
                "Status": {
                    "type": "object",
                    "properties": {
                        "StatusStartTimestamp": {"type": "string", "format": "date-time"},
                        "StatusArn": {"type": "string"},
                        "StatusName": {"type": "string"},
                    },
                },
                "NextStatus": {"type": "string"},
                "AvailableSlotsByChannel": {"type": "object"},
                "MaxSlotsByChannel": {"type": "object"},
                "ActiveSlotsByChannel": {"type": "object"},
                "Contacts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "ContactId": {"type": "string"},
                            "Channel": {"type": "string"},
                            "InitiationMethod": {"type": "string"},
                            "AgentContactState": {"enum": list(userdata.CONTACT_STATES)},
                            "StateStartTimestamp": {"type": "string", "format": "date-time"},
                            "ConnectedToAgentTimestamp": {"type": "string", "format": "date-time"},
                            "Queue": reference,
                        },
                    },
                },
            },
        },
        "UserDataSuccess": _records_success("UserDataList", "UserData"),
        "GetMetricDataV2Request": {
            "type": "object",
            "additionalProperties": False,
            "required": ["StartTime", "EndTime", "Filters", "Metrics"],
            "properties": {
                "ResourceArn": {
                    "type": "string",
                    "description": "Optional; when given it must be the ARN of the instance "
                    "in the URL.",
                },
                "StartTime": {
                    "type": ["number", "string"],
                    "description": "Epoch seconds or ISO 8601.",
                },
                "EndTime": {
                    "type": ["number", "string"],
                    "description": "Epoch seconds or ISO 8601; not later than now.",
                },
                "Interval": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "IntervalPeriod": {"enum": list(PERIODS)},
                        "TimeZone": {"type": "string", "description": "An IANA time zone."},
                    },
                },
                "Filters": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["FilterKey", "FilterValues"],
                        "properties": {
                            "FilterKey": {"enum": list(metric_data_request.FILTER_KEYS)},
                            "FilterValues": {
                                "type": "array",
                                "items": {"type": "string", "minLength": 1},
                                "minItems": 1,
                            },
                        },
                    },
                },
                "Groupings": {
                    "type": "array",
                    "items": {"enum": list(metric_data_request.GROUPINGS)},
                    "uniqueItems": True,
                },
                "Metrics": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["Name"],
                        "properties": {
                            "Name": {"enum": list(metric_data_request.METRICS)},
                            "Threshold": {
                                "type": "array",
                                "description": "Exactly one, for "
                                f"{', '.join(metric_data_request.THRESHOLD_METRICS)} only.",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "Comparison": {"type": "string"},
                                        "ThresholdValue": {"type": "number"},
                                    },
                                },
                            },
                        },
                    },
                },
                "MaxResults": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": metric_data_request.MAX_RESULTS,
                },
                "NextToken": {"type": "string", "minLength": 1},
            },
        },
        "MetricDataResult": {
            "type": "object",
            "description": "One row of GetMetricDataV2's answer; a null Value means no data "
            "or a division by zero.",
            "properties": {
                "Dimensions": {"type": "object", "additionalProperties": {"type": "string"}},
                "MetricInterval": {
                    "type": "object",
                    "properties": {
                        "Interval": {"enum": list(PERIODS)},
                        "StartTime": {"type": "string", "format": "date-time"},
                        "EndTime": {"type": "string", "format": "date-time"},
                    },
                },
                "Collections": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "Metric": {"type": "object"},
                            "Value": {"type": ["number", "null"]},
                        },
                    },
                },
            },
        },
        "MetricDataSuccess": _records_success("MetricResults", "MetricDataResult"),
    }


def _error_response(code: ErrorCode) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": f"{code}: {MEANINGS[code]}",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if code is ErrorCode.THROTTLED:
        response["headers"] = {
            "Retry-After": {
                "description": "Whole seconds to wait before asking again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


EXAMPLE_REQUEST = {
    "Filters": {"Queues": ["<queue-id>", "<queue-id>"], "Channels": ["VOICE", "CHAT"]},
    "Groupings": ["QUEUE"],
    "CurrentMetrics": [
        {"Name": "AGENTS_AVAILABLE", "Unit": "COUNT"},
        {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"},
        {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"},
    ],
    "SortCriteria": [{"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "DESCENDING"}],
    "MaxResults": 20,
}


_INSTANCE_PARAMETER = {
    "name": "InstanceId",
    "in": "path",
    "required": True,
    "description": "The configured instance's ID, or its ARN (URL-encoded).",
    "schema": {"type": "string", "minLength": 1},
}


def _post(
    operation_id: str,
    summary: str,
    description: str,
    request: str,
    success: str,
    example: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{request}"}}
    if example is not None:
        body["example"] = example
    responses: dict[str, Any] = {
        "200": {
            "description": f"The answer, in {operation_id[0].upper()}{operation_id[1:]}'s "
            "shape, in the envelope.",
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{success}"}}
            },
        }
    }
    for code in ErrorCode:
        responses[str(STATUS[code])] = _error_response(code)
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "description": description,
            "security": [{"apiToken": []}, {"staffSession": []}],
            "parameters": [_INSTANCE_PARAMETER],
            "requestBody": {"required": True, "content": {"application/json": body}},
            "responses": responses,
        }
    }


def document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Connect wallboard: live metrics",
            "version": "1",
            "description": DESCRIPTION,
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/metrics/current/{InstanceId}": _post(
                "getCurrentMetricData",
                "Current metrics of queues, as GetCurrentMetricData gives them",
                DESCRIPTION,
                "GetCurrentMetricDataRequest",
                "Success",
                EXAMPLE_REQUEST,
            ),
            "/metrics/userdata/{InstanceId}": _post(
                "getCurrentUserData",
                "The logged-in agents, as GetCurrentUserData gives them",
                USER_DATA_DESCRIPTION,
                "GetCurrentUserDataRequest",
                "UserDataSuccess",
            ),
            "/metrics/data/{InstanceId}": _post(
                "getMetricDataV2",
                "Historical metrics (today's service level, handled, abandoned), as "
                "GetMetricDataV2 gives them",
                METRIC_DATA_DESCRIPTION,
                "GetMetricDataV2Request",
                "MetricDataSuccess",
            ),
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "apiToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made in the admin or by "
                    "`python manage.py api_token <name> --instance <instance>`.",
                },
                "staffSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sessionid",
                    "description": "A logged-in staff user (with the CSRF token header).",
                },
            },
        },
    }
