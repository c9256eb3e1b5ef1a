"""GetMetricDataV2 as an operation of the records path (records.py).

Its rules are the simulated centre's (connectmetrics/simulator/metric_data_request.py).
The instance is the one the endpoint was called for: ResourceArn may be left out (the
instance's ARN is sent), and when given it must be that instance's. Every page is
fetched (MaxResults 100 upstream) and paged here.
"""

import time
from typing import Any

from connectmetrics.api.records import Asked, without_paging
from connectmetrics.api.wire import wire
from connectmetrics.client.client import client_for
from connectmetrics.client.outcomes import classify
from connectmetrics.client.quotas import GET_METRIC_DATA_V2
from connectmetrics.connectapi import rules
from connectmetrics.models import ConnectInstance
from connectmetrics.simulator import metric_data_request
from connectmetrics.simulator.errors import ApiError

_UPSTREAM_PAGE = metric_data_request.MAX_RESULTS


def instance_arn(instance: ConnectInstance) -> str:
    """The instance's ARN: configured, or made of its Region, account and ID."""
    if instance.instance_arn:
        return instance.instance_arn
    account = instance.known_account_id()
    if not account:
        raise ApiError(
            rules.INVALID_PARAMETER,
            "ResourceArn: required for this instance, whose account is not known here (no "
            "instance ARN configured and no queue discovered); give the instance ARN",
        )
    return f"arn:aws:connect:{instance.region}:{account}:instance/{instance.instance_id}"


class MetricDataOperation:
    name = GET_METRIC_DATA_V2
    results = "MetricResults"
    counted = False

    def ask(self, instance: ConnectInstance, body: Any) -> Asked:
        if isinstance(body, dict):
            arn = body.get("ResourceArn")
            if arn is None:
                body = {**body, "ResourceArn": instance_arn(instance)}
            elif isinstance(arn, str) and (why := _not_the_instance(arn, instance)):
                raise ApiError(rules.INVALID_PARAMETER, f"ResourceArn: {why}")
        parsed = metric_data_request.parse(body, time.time())
        return Asked(
            operation=self.name,
            key=parsed.key,
            request=without_paging(body),
            parsed=parsed,
            size=parsed.size,
            next_token=body.get("NextToken"),
        )

    def fetch(self, instance: ConnectInstance, asked: Asked) -> list[dict[str, Any]]:
        client = client_for(instance)
        params: dict[str, Any] = {**asked.request, "MaxResults": _UPSTREAM_PAGE}
        records: list[dict[str, Any]] = []
        while True:
            try:
                answer = client.get_metric_data_v2(**params)
            except Exception as error:
                raise classify(error) from error
            records += [wire(result) for result in answer.get("MetricResults", [])]
            token = answer.get("NextToken")
            if not token:
                return records
            params["NextToken"] = token


def _not_the_instance(arn: str, instance: ConnectInstance) -> str | None:
    """Why an ARN given as ResourceArn is not the instance's ARN (None when it is, or
    when it is no instance ARN at all, which the rules refuse)."""
    try:
        instance_id, _ = rules.parse_instance(arn)
    except ValueError:
        return None
    if instance_id != instance.instance_id:
        return f"names instance {instance_id}, not the instance in the URL ({instance.instance_id})"
    place = rules.InstancePlace(instance.instance_id, instance.region, instance.known_account_id())
    return rules.arn_mismatch(arn, place)


METRIC_DATA = MetricDataOperation()
