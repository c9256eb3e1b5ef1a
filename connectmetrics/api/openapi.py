"""The OpenAPI 3.1 document of the metrics endpoint, built from the catalogue and the envelope.

Names, units, limits and error codes come from where they are defined, so the
document cannot drift from what the endpoint does. The rules that tie several
fields together (CHANNEL grouping needs a Channels filter, ...) are beyond JSON
Schema; the endpoint refuses them with a VALIDATION_ERROR naming the rule.
"""

from typing import Any

from connectmetrics import catalogue
from connectmetrics.api.envelope import MEANINGS, STATUS, ErrorCode

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


def document(server_url: str) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "The metrics, in GetCurrentMetricData's shape, in the envelope.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Success"}}},
        }
    }
    for code in ErrorCode:
        responses[str(STATUS[code])] = _error_response(code)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Connect wallboard: live metrics",
            "version": "1",
            "description": DESCRIPTION,
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/metrics/current/{InstanceId}": {
                "post": {
                    "operationId": "getCurrentMetricData",
                    "summary": "Current metrics of queues, as GetCurrentMetricData gives them",
                    "description": DESCRIPTION,
                    "security": [{"apiToken": []}, {"staffSession": []}],
                    "parameters": [
                        {
                            "name": "InstanceId",
                            "in": "path",
                            "required": True,
                            "description": "The configured instance's ID, or its ARN "
                            "(URL-encoded).",
                            "schema": {"type": "string", "minLength": 1},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "$ref": "#/components/schemas/GetCurrentMetricDataRequest"
                                },
                                "example": EXAMPLE_REQUEST,
                            }
                        },
                    },
                    "responses": responses,
                }
            }
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
