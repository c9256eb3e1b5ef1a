"""GetCurrentUserData (`POST /metrics/userdata/{InstanceId}`) and GetMetricDataV2
(`POST /metrics/data`) as Amazon Connect answers them.

The records come from the path the envelope endpoints use (connectmetrics/api/records.py):
the same rules, cache, covering source polls, single-flight and governor. What differs
is how the page is written, which here is AWS's: no envelope, timestamps in epoch
seconds, `NextToken` only when there is a next page, ApproximateTotalCount where
Connect's answer has one, and a broken rule answered with its own exception.
"""

import json
from typing import Any

from connectmetrics.api import records
from connectmetrics.awsapi.errors import AwsError
from connectmetrics.models import ConnectInstance
from connectmetrics.simulator.errors import ApiError as RuleBroken


def answer(instance: ConnectInstance, operation_name: str, body: Any) -> bytes:
    operation = records.operation(operation_name)
    try:
        asked = operation.ask(instance, body)
    except RuleBroken as broken:
        raise AwsError(broken.code, broken.message) from None
    page = records.answer_page(instance, operation, asked, token_scope="aws")
    answered: dict[str, Any] = {operation.results: page.records}
    if operation.counted:
        answered["ApproximateTotalCount"] = page.total
    if page.next_token:
        answered["NextToken"] = page.next_token
    return json.dumps(answered, separators=(",", ":")).encode()
