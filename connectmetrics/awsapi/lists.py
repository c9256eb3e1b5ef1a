"""ListQueues and ListRoutingProfiles, passed through to Amazon Connect under the governor.

The admin's catalogue holds only the standard queues it discovered, without
the times AWS gives, so it cannot answer as AWS does (agent queues,
LastModifiedTime). These calls go to Connect with the instance's own client,
the caller's QueueTypes, MaxResults and NextToken as given (paging is AWS's),
each after its turn of the account's quota for that operation from the rate
governor; a turn more than a second away is ThrottlingException, and AWS
never sees the call. AWS's own errors come back as AWS gave them.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, ParamValidationError
from django.http import QueryDict

from connectmetrics.api.cache import take_quota_turn
from connectmetrics.api.store import answer_store
from connectmetrics.api.wire import wire
from connectmetrics.awsapi.errors import (
    INTERNAL_SERVICE,
    INVALID_PARAMETER,
    AwsError,
)
from connectmetrics.client.client import client_for
from connectmetrics.client.governor import prepaid_call
from connectmetrics.client.outcomes import UpstreamError
from connectmetrics.client.quotas import LIST_QUEUES, LIST_ROUTING_PROFILES
from connectmetrics.models import ConnectInstance
from connectmetrics.simulator.errors import STATUS as MODELLED_STATUS

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient


def _paging(query: QueryDict) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if "maxResults" in query:
        text = query["maxResults"]
        try:
            params["MaxResults"] = int(str(text))
        except ValueError:
            raise AwsError(
                INVALID_PARAMETER, f"MaxResults: must be a whole number; got {text!r}"
            ) from None
    if "nextToken" in query:
        params["NextToken"] = query["nextToken"]
    return params


def _pass_through(
    instance: ConnectInstance, operation: str, call: Callable[["ConnectClient"], Any]
) -> dict[str, Any]:
    quota = take_quota_turn(answer_store(), instance, operation)
    try:
        with prepaid_call(quota, instance.quota_key, operation):
            answer = call(client_for(instance))
    except ClientError as error:
        info = error.response.get("Error", {})
        code = str(info.get("Code", ""))
        if code not in MODELLED_STATUS or code == "NotImplemented":
            code = INTERNAL_SERVICE
        raise AwsError(code, str(info.get("Message", ""))) from None
    except ParamValidationError as error:
        raise AwsError(INVALID_PARAMETER, str(error)) from None
    except UpstreamError as error:
        raise AwsError(INTERNAL_SERVICE, error.description) from None
    wired: dict[str, Any] = wire(answer)
    return wired


def list_queues(instance: ConnectInstance, query: QueryDict) -> dict[str, Any]:
    params = {"InstanceId": instance.instance_id, **_paging(query)}
    if "queueTypes" in query:
        params["QueueTypes"] = query.getlist("queueTypes")
    return _pass_through(instance, LIST_QUEUES, lambda client: client.list_queues(**params))


def list_routing_profiles(instance: ConnectInstance, query: QueryDict) -> dict[str, Any]:
    params = {"InstanceId": instance.instance_id, **_paging(query)}
    return _pass_through(
        instance, LIST_ROUTING_PROFILES, lambda client: client.list_routing_profiles(**params)
    )
