"""The simulated centre across processes: faults and call counts shared through Redis, and
the same centre, floor and day in every process of the same seed and time."""

import json
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.config import Config

from connectmetrics.simulator import (
    CONTROL_URL_ENV,
    Faults,
    SimulatedCentre,
    call_counts,
    reset,
    set_faults,
    simulated_client,
)
from tests.rule_cases import INSTANCE
from tests.simulator_support import (
    ALL_METRICS,
    GET,
    IID,
    MORNING,
    Clock,
    error_of,
    one_call,
    run_python,
)

# -- faults, across processes through Redis -------------------------------------------------


def test_faults_and_counts_in_redis(redis_url: str) -> None:
    centre = SimulatedCentre(7, control_redis_url=redis_url, clock=Clock(MORNING))
    assert centre.faults is None
    client = centre.client(config=Config(retries={"mode": "standard", "total_max_attempts": 2}))
    one_call(client)
    set_faults(redis_url, IID, throttle=1.0)
    with pytest.raises(client.exceptions.ThrottlingException):
        one_call(client)
    assert call_counts(redis_url, IID) == {GET: 3} == centre.call_counts()
    set_faults(redis_url, IID)  # none
    one_call(client)
    # Keys are per instance: another instance on the same Redis is untouched.
    set_faults(redis_url, INSTANCE, access_denied=True)
    one_call(client)
    assert call_counts(redis_url, INSTANCE) == {}
    reset(redis_url, IID)
    assert call_counts(redis_url, IID) == {}


def test_the_environment_names_the_control_redis(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONTROL_URL_ENV, redis_url)
    set_faults(redis_url, IID, not_found=True)
    client = simulated_client(seed=7, config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_queues(InstanceId=IID)
    assert call_counts(redis_url, IID) == {"ListQueues": 1}
    # Faults given in process win over the environment.
    local = Faults()
    simulated_client(seed=7, faults=local).list_queues(InstanceId=IID)
    assert local.call_counts() == {"ListQueues": 1} and call_counts(redis_url, IID) == {
        "ListQueues": 1
    }


WORKER = """
import sys
from botocore.config import Config
from connectmetrics.simulator import simulated_client
retries = {"mode": "standard", "total_max_attempts": 2}
client = simulated_client(seed=7, config=Config(retries=retries))
try:
    client.list_routing_profiles(InstanceId=sys.argv[1])
    print("ok")
except client.exceptions.ThrottlingException:
    print("throttled")
"""


def test_another_process_is_throttled_and_counted_through_redis(redis_url: str) -> None:
    env = {CONTROL_URL_ENV: redis_url}
    set_faults(redis_url, IID, throttle=1.0)
    assert run_python(WORKER, IID, env=env).strip() == "throttled"
    assert call_counts(redis_url, IID) == {"ListRoutingProfiles": 2}
    set_faults(redis_url, IID)
    assert run_python(WORKER, IID, env=env).strip() == "ok"
    assert call_counts(redis_url, IID) == {"ListRoutingProfiles": 3}


def test_an_unreachable_control_store_is_an_internal_error(redis_server: Any) -> None:
    from tests.conftest import free_port

    client = simulated_client(
        seed=7,
        control_redis_url=f"redis://127.0.0.1:{free_port()}/0",
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(client.exceptions.InternalServiceException) as caught:
        client.list_queues(InstanceId=IID)
    assert "control store" in error_of(caught)[2]


# -- the same centre in every process ----------------------------------------------------

SNAPSHOT = """
import json, sys
from connectmetrics.connectapi.catalogue import METRICS, SIMULATED_INSTANCE_ID as IID
from connectmetrics.simulator import simulated_client
client = simulated_client(seed=int(sys.argv[1]), clock=lambda: float(sys.argv[2]))
listed = client.list_queues(InstanceId=IID, QueueTypes=["STANDARD"])["QueueSummaryList"]
ids = [q["Id"] for q in listed]
first = client.get_current_metric_data(
    InstanceId=IID,
    Filters={"Queues": ids, "Channels": ["VOICE", "CHAT", "TASK"]},
    Groupings=["QUEUE", "CHANNEL"],
    CurrentMetrics=[{"Name": n, "Unit": str(m.unit)} for n, m in METRICS.items()],
    MaxResults=10,
)
first.pop("ResponseMetadata")
print(json.dumps({"ids": ids, "first": first}, default=str, sort_keys=True))
"""


def test_two_processes_with_the_same_seed_and_time_see_the_same_centre() -> None:
    one = run_python(SNAPSHOT, "7", str(MORNING))
    two = run_python(SNAPSHOT, "7", str(MORNING))
    assert one == two
    answer = json.loads(one)
    assert answer["first"]["MetricResults"] and answer["first"]["NextToken"]
    # And the same as this process sees.
    here = SimulatedCentre(7, clock=Clock(MORNING)).client()
    assert answer["ids"] == [
        q["Id"]
        for q in here.list_queues(InstanceId=IID, QueueTypes=["STANDARD"])["QueueSummaryList"]
    ]
    local = here.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": answer["ids"], "Channels": ["VOICE", "CHAT", "TASK"]},
        Groupings=["QUEUE", "CHANNEL"],
        CurrentMetrics=ALL_METRICS,
        MaxResults=10,
    )
    assert local["MetricResults"] == answer["first"]["MetricResults"]
    assert local["NextToken"] == answer["first"]["NextToken"]
    assert run_python(SNAPSHOT, "8", str(MORNING)) != one


# -- the same floor and day in every process --------------------------------------------

OTHER_PROCESS = """
import json, sys
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID as IID
from connectmetrics.simulator import SimulatedCentre
centre = SimulatedCentre(int(sys.argv[1]), agents=300, clock=lambda: float(sys.argv[2]))
client = centre.client()
profiles = [p.id for p in centre.topology.profiles]
users = client.get_current_user_data(
    InstanceId=IID, Filters={"RoutingProfiles": profiles}, MaxResults=20
)
today = client.get_metric_data_v2(
    ResourceArn=centre.topology.instance_arn,
    StartTime=float(sys.argv[2]) - 6 * 3600,
    EndTime=float(sys.argv[2]),
    Interval={"IntervalPeriod": "HOUR"},
    Filters=[{"FilterKey": "ROUTING_PROFILE", "FilterValues": profiles}],
    Groupings=["AGENT"],
    Metrics=[{"Name": "CONTACTS_HANDLED"}, {"Name": "AVG_HANDLE_TIME"}],
    MaxResults=30,
)
for answer in (users, today):
    answer.pop("ResponseMetadata")
print(json.dumps({"users": users, "today": today}, default=str, sort_keys=True))
"""


def test_another_process_sees_the_same_floor_and_day_and_its_tokens_work_here() -> None:
    seen = json.loads(run_python(OTHER_PROCESS, "7", str(MORNING)))
    centre = SimulatedCentre(7, agents=300, clock=Clock(MORNING + 20))
    client = centre.client()
    profiles = [p.id for p in centre.topology.profiles]
    # Its NextTokens carry its moment: the next pages here show that moment.
    users = client.get_current_user_data(
        InstanceId=IID,
        Filters={"RoutingProfiles": profiles},
        NextToken=seen["users"]["NextToken"],
        MaxResults=20,
    )
    here = SimulatedCentre(7, agents=300, clock=Clock(MORNING)).client()
    first = here.get_current_user_data(
        InstanceId=IID, Filters={"RoutingProfiles": profiles}, MaxResults=40
    )
    assert [u["User"]["Id"] for u in first["UserDataList"]] == [
        u["User"]["Id"] for u in seen["users"]["UserDataList"] + users["UserDataList"]
    ]
    assert (
        json.loads(json.dumps(first["UserDataList"][:20], default=str))
        == (seen["users"]["UserDataList"])
    )
    request = {
        "ResourceArn": centre.topology.instance_arn,
        "StartTime": MORNING - 6 * 3600,
        "EndTime": MORNING,
        "Interval": {"IntervalPeriod": "HOUR"},
        "Filters": [{"FilterKey": "ROUTING_PROFILE", "FilterValues": profiles}],
        "Groupings": ["AGENT"],
        "Metrics": [{"Name": "CONTACTS_HANDLED"}, {"Name": "AVG_HANDLE_TIME"}],
    }

    def rows(client: BaseClient, token: str | None = None) -> list[Any]:
        found, answer = [], {"NextToken": token} if token else {}
        while True:
            answer = client.get_metric_data_v2(**request, **answer, MaxResults=30)
            found += answer["MetricResults"]
            if "NextToken" not in answer:
                return json.loads(json.dumps(found, default=str))
            answer = {"NextToken": answer["NextToken"]}

    rest = rows(client, seen["today"]["NextToken"])
    assert rows(here) == seen["today"]["MetricResults"] + rest
