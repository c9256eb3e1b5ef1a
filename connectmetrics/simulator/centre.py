"""A simulated Amazon Connect contact centre, answering as the Connect API does.

``SimulatedCentre`` ties the pieces together: the fixed topology, the activity
at any moment, the answers to GetCurrentMetricData (validated with
``connectmetrics.connectapi.rules``, the project's one set of rules), GetCurrentUserData,
GetMetricDataV2, the list and directory calls, their paging, the faults
control, and boto3 clients bound to it.
"""

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config

from connectmetrics.connectapi import catalogue, rules
from connectmetrics.simulator import activity, metric_data_request, userdata, users
from connectmetrics.simulator.answer import compute_rows
from connectmetrics.simulator.errors import ApiError
from connectmetrics.simulator.faults import (
    CONTROL_URL_ENV,
    Control,
    Faults,
    LoggedCall,
    RedisControl,
)
from connectmetrics.simulator.handlers import Handlers
from connectmetrics.simulator.metric_data_answer import Row as MetricDataRow
from connectmetrics.simulator.metric_data_answer import compute_rows as metric_data_rows
from connectmetrics.simulator.metric_data_answer import dimensions
from connectmetrics.simulator.references import max_results, only_keys
from connectmetrics.simulator.tokens import Token, TokenCodec
from connectmetrics.simulator.topology import Topology, build_topology
from connectmetrics.simulator.wire import WireHandler
from dashboard.lib import clock as product_clock

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient

DEFAULT_REGION = "eu-west-2"
DEFAULT_QUEUES = 20
DEFAULT_AGENTS = 60
DEFAULT_ROUTING_PROFILES = 3
# ListQueues / ListRoutingProfiles page sizes (from the service model and AWS's docs).
_LIST_DEFAULT_RESULTS = 100
_LIST_MAX_RESULTS = 1000
_QUEUE_TYPES = ("STANDARD", "AGENT")
# GetMetricDataV2 answers kept for their next pages (a page costs a slice, not a day).
_KEPT_ANSWERS = 8
_SEARCH_USERS_KEYS = ("InstanceId", "NextToken", "MaxResults", "SearchFilter", "SearchCriteria")
# Limits on the size of a simulated centre, to keep one answer cheap.
_MAX_QUEUES = 1000
_MAX_AGENTS = 5000
_MAX_ROUTING_PROFILES = 100
_MAX_QUEUE_NAME = 256  # QueueName in the service model


_shared_session: boto3.session.Session | None = None
_session_lock = threading.Lock()


def _session() -> boto3.session.Session:
    # One session per process: it loads the service model once, so a new
    # client costs milliseconds. Sessions are not thread-safe, hence the lock.
    global _shared_session
    if _shared_session is None:
        # The simulator needs no AWS configuration: AWS_PROFILE and the config
        # file are not read, so a profile that does not exist here is no error.
        core = botocore.session.Session(
            session_vars={
                "profile": (None, None, None, None),
                "config_file": (None, None, os.devnull, None),
            }
        )
        _shared_session = boto3.session.Session(botocore_session=core)
    return _shared_session


class SimulatedCentre:
    """A deterministic contact centre: its state at t depends only on the seed, sizes and t.

    Arguments:
        seed: picks the centre; the same seed gives the same centre in every process.
        instance_id: the InstanceId it answers to (an instance ID or ARN);
            any other gets ResourceNotFoundException.
        region: the Region of its ARNs and of the clients made by ``client()``.
        queues: how many standard queues (default 20, or as many as ``queue_names``).
        agents: how many agents (default 60).
        routing_profiles: how many routing profiles (default 3).
        queue_names: the queues' names, in order, instead of the realistic defaults.
        faults: a ``Faults`` to control it in process (changed at run time).
        control_redis_url: a Redis URL to read faults from and count calls in,
            shared by every process (default: the CONNECT_SIMULATOR_CONTROL_URL
            environment variable). Used only when ``faults`` is not given.
        clock: returns the current time in epoch seconds (default time.time).
        clock_speed: how many seconds of ``clock`` pass in a real second (default 1; more
            on an endurance run's accelerated clock, dashboard/lib/clock.py). What is
            AWS's own time, a NextToken's lifetime, stays real seconds.
    """

    def __init__(
        self,
        seed: int = 7,
        *,
        instance_id: str = catalogue.SIMULATED_INSTANCE_ID,
        region: str = DEFAULT_REGION,
        queues: int | None = None,
        agents: int = DEFAULT_AGENTS,
        routing_profiles: int = DEFAULT_ROUTING_PROFILES,
        queue_names: Sequence[str] | None = None,
        faults: Faults | None = None,
        control_redis_url: str | None = None,
        clock: Callable[[], float] = time.time,
        clock_speed: float = 1.0,
    ) -> None:
        instance, _ = rules.parse_instance(instance_id)
        queue_count = _queue_count(queues, queue_names)
        if not 0 <= agents <= _MAX_AGENTS:
            raise ValueError(f"agents must be from 0 to {_MAX_AGENTS}; got {agents}")
        if not 1 <= routing_profiles <= _MAX_ROUTING_PROFILES:
            raise ValueError(
                f"routing_profiles must be from 1 to {_MAX_ROUTING_PROFILES}; "
                f"got {routing_profiles}"
            )
        if faults is not None and control_redis_url is not None:
            raise ValueError("give either faults (in process) or control_redis_url, not both")
        self.seed = seed
        self.region = region
        self.clock = clock
        self.clock_speed = clock_speed
        self.topology: Topology = build_topology(
            seed=seed,
            instance_id=instance,
            region=region,
            queues=queue_count,
            agents=agents,
            routing_profiles=routing_profiles,
            queue_names=queue_names,
        )
        # Explicit in-process faults win over the environment's Redis URL.
        redis_url = control_redis_url or (
            None if faults is not None else os.environ.get(CONTROL_URL_ENV)
        )
        self.control: Control
        self.faults: Faults | None
        if redis_url:
            self.faults, self.control = None, RedisControl(redis_url, instance)
        else:
            self.faults = Faults() if faults is None else faults
            self.control = self.faults
        self._tokens = TokenCodec(f"{seed}:{instance}")
        self._handlers = Handlers(self.topology)
        self._metric_data_pages: dict[tuple[str, float], list[MetricDataRow]] = {}
        self._metric_data_lock = threading.Lock()
        self.handler = WireHandler(
            {
                "GetCurrentMetricData": self.get_current_metric_data,
                "ListQueues": self.list_queues,
                "ListRoutingProfiles": self.list_routing_profiles,
                "GetCurrentUserData": self.get_current_user_data,
                "GetMetricDataV2": self.get_metric_data_v2,
                "SearchUsers": self.search_users,
                "ListUsers": self.list_users,
                "DescribeUser": self.describe_user,
                "ListAgentStatuses": self.list_agent_statuses,
                "ListUserHierarchyGroups": self.list_user_hierarchy_groups,
            },
            self.control,
        )

    @property
    def instance_id(self) -> str:
        return self.topology.instance_id

    # -- clients -----------------------------------------------------------

    def client(self, *, config: Config | None = None) -> "ConnectClient":
        """A real boto3 ``connect`` client whose every call this centre answers.

        Static dummy credentials: no AWS account, no network. ``config`` is
        merged over the default of botocore's "standard" retries.
        """
        base = Config(retries={"mode": "standard"})
        with _session_lock:
            client = _session().client(
                "connect",
                region_name=self.region,
                aws_access_key_id="SIMULATED",
                aws_secret_access_key="simulated-secret",
                config=base.merge(config) if config else base,
            )
        self.attach(client)
        return client

    def attach(self, client: "ConnectClient") -> None:
        """Make this centre answer every Connect call of an existing client."""
        # A before-send handler answers with the response; the stubs expect None of every handler.
        client.meta.events.register("before-send.connect", self.handler)  # type: ignore[arg-type]

    def call_counts(self) -> dict[str, int]:
        """Calls received per operation (faulted ones included)."""
        return self.control.call_counts()

    def call_log(self) -> list[LoggedCall]:
        """When each recent call arrived, and from which process, oldest first."""
        return self.control.call_log()

    def snapshot(self, at: float | None = None) -> activity.Snapshot:
        """The centre's state at ``at`` (default: now by its clock)."""
        return activity.snapshot(self.topology, self.clock() if at is None else at)

    # -- operations (the service side; raise ApiError as AWS would answer) --

    def get_current_metric_data(self, instance_ref: str, body: Any) -> dict[str, Any]:
        self._check_instance(instance_ref)
        request = {**body, "InstanceId": instance_ref} if isinstance(body, Mapping) else body
        violations = rules.check_request(request)
        if violations:
            raise ApiError(violations[0].error, "; ".join(v.message for v in violations))
        canonical = rules.canonical_request(request)
        key = rules.request_key(canonical)
        now = self.clock()
        at, offset = self._moment(request.get("NextToken"), key, now)
        rows = compute_rows(self.topology, activity.snapshot(self.topology, at), canonical)
        size = request.get("MaxResults") or catalogue.MAX_RESULTS
        metrics = [metric["Name"] for metric in request["CurrentMetrics"]]
        answer: dict[str, Any] = {
            "MetricResults": [
                {
                    "Dimensions": row.dimensions,
                    # In the order the metrics were asked for, as AWS does.
                    "Collections": [
                        {
                            "Metric": {"Name": name, "Unit": str(catalogue.METRICS[name].unit)},
                            "Value": row.values[name],
                        }
                        for name in metrics
                    ],
                }
                for row in rows[offset : offset + size]
            ],
            "DataSnapshotTime": at,
            "ApproximateTotalCount": len(rows),
        }
        if offset + size < len(rows):
            answer["NextToken"] = self._tokens.encode(Token(key, offset + size, at, now))
        return answer

    def get_current_user_data(self, instance_ref: str, body: Any) -> dict[str, Any]:
        self._check_instance(instance_ref)
        request = userdata.parse(body)
        now = self.clock()
        at, offset = self._moment(body.get("NextToken"), request.key, now)
        rows = userdata.answer_rows(self.topology, request, at)
        page = rows[offset : offset + request.size]
        answer: dict[str, Any] = {
            "UserDataList": [userdata.user_data(self.topology, now, at) for now in page],
            "ApproximateTotalCount": len(rows),
        }
        if offset + request.size < len(rows):
            answer["NextToken"] = self._tokens.encode(
                Token(request.key, offset + request.size, at, now)
            )
        return answer

    def get_metric_data_v2(self, body: Any) -> dict[str, Any]:
        now = self.clock()
        request = metric_data_request.parse(body, now)
        self._check_instance(request.instance_arn)
        at, offset = self._moment(body.get("NextToken"), request.key, now)
        rows = self._metric_data_rows(request, at)
        page = rows[offset : offset + request.size]
        answer: dict[str, Any] = {
            "MetricResults": [
                {
                    "Dimensions": dimensions(self.topology, request.groupings, row.key),
                    "MetricInterval": {
                        "Interval": request.period,
                        "StartTime": row.interval[0],
                        "EndTime": row.interval[1],
                    },
                    "Collections": [
                        {"Metric": metric.echo, "Value": value}
                        for metric, value in zip(request.metrics, row.values, strict=True)
                    ],
                }
                for row in page
            ]
        }
        if offset + request.size < len(rows):
            answer["NextToken"] = self._tokens.encode(
                Token(request.key, offset + request.size, at, now)
            )
        return answer

    def _metric_data_rows(
        self, request: metric_data_request.MetricDataRequest, at: float
    ) -> list[MetricDataRow]:
        """The rows of one answer, kept for its next pages (which show the same moment)."""
        key = (request.key, at)
        with self._metric_data_lock:
            rows = self._metric_data_pages.get(key)
        if rows is None:
            rows = metric_data_rows(self.topology, self._handlers, request, at)
            with self._metric_data_lock:
                if len(self._metric_data_pages) >= _KEPT_ANSWERS:
                    self._metric_data_pages.pop(next(iter(self._metric_data_pages)))
                self._metric_data_pages[key] = rows
        return rows

    def search_users(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise ApiError(rules.INVALID_REQUEST, "Request: must be a JSON object")
        only_keys(body, _SEARCH_USERS_KEYS, "Request")
        self._check_instance(body.get("InstanceId", ""))
        found = users.search_users(self.topology, body)
        size = max_results(
            body.get("MaxResults"), default=_LIST_DEFAULT_RESULTS, maximum=users.SEARCH_MAX_RESULTS
        )
        key = "SearchUsers:" + rules.request_key({"SearchCriteria": body.get("SearchCriteria")})
        offset = 0
        if body.get("NextToken") is not None:
            offset = self._read_token(str(body["NextToken"]), key).offset
        answer: dict[str, Any] = {
            "Users": found[offset : offset + size],
            "ApproximateTotalCount": len(found),
        }
        if offset + size < len(found):
            now = self.clock()
            answer["NextToken"] = self._tokens.encode(Token(key, offset + size, now, now))
        return answer

    def list_users(self, instance_ref: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        self._check_instance(instance_ref)
        found = users.list_users(self.topology, self.region)
        page, token = self._list_page(query, "ListUsers", len(found))
        return {"UserSummaryList": found[page], **token}

    def describe_user(
        self, instance_ref: str, user_ref: str, query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        self._check_instance(instance_ref)
        return users.describe_user(self.topology, self.region, user_ref)

    def list_agent_statuses(
        self, instance_ref: str, query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        self._check_instance(instance_ref)
        types = query.get("AgentStatusTypes", [])
        found = users.list_agent_statuses(self.topology, self.region, types)
        page, token = self._list_page(
            query, f"ListAgentStatuses:{','.join(sorted(set(types)))}", len(found)
        )
        return {"AgentStatusSummaryList": found[page], **token}

    def list_user_hierarchy_groups(
        self, instance_ref: str, query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        self._check_instance(instance_ref)
        found = users.list_hierarchy_groups(self.topology, self.region)
        page, token = self._list_page(query, "ListUserHierarchyGroups", len(found))
        return {"UserHierarchyGroupSummaryList": found[page], **token}

    def list_queues(self, instance_ref: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        self._check_instance(instance_ref)
        types = query.get("queueTypes", [])
        unknown = [t for t in types if t not in _QUEUE_TYPES]
        if unknown or len(types) > len(_QUEUE_TYPES):
            raise ApiError(
                "InvalidParameterException",
                f"QueueTypes: at most {len(_QUEUE_TYPES)} of {', '.join(_QUEUE_TYPES)}; "
                f"got {types}",
            )
        queues = [q for q in self.topology.queues if not types or q.queue_type in types]
        page, token = self._list_page(
            query, f"ListQueues:{','.join(sorted(set(types)))}", len(queues)
        )
        return {
            "QueueSummaryList": [
                {
                    "Id": q.id,
                    "Arn": q.arn,
                    **({"Name": q.name} if q.name is not None else {}),
                    "QueueType": q.queue_type,
                    "LastModifiedTime": q.last_modified,
                    "LastModifiedRegion": self.region,
                }
                for q in queues[page]
            ],
            **token,
        }

    def list_routing_profiles(
        self, instance_ref: str, query: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        self._check_instance(instance_ref)
        profiles = self.topology.profiles
        page, token = self._list_page(query, "ListRoutingProfiles", len(profiles))
        return {
            "RoutingProfileSummaryList": [
                {
                    "Id": p.id,
                    "Arn": p.arn,
                    "Name": p.name,
                    "LastModifiedTime": p.last_modified,
                    "LastModifiedRegion": self.region,
                }
                for p in profiles[page]
            ],
            **token,
        }

    # -- helpers -------------------------------------------------------------

    def _check_instance(self, instance_ref: str) -> None:
        violations = rules.check_instance_id(instance_ref)
        if violations:
            raise ApiError(violations[0].error, violations[0].message)
        if rules.parse_instance(instance_ref)[0] != self.instance_id:
            raise ApiError("ResourceNotFoundException", f"Instance {instance_ref} was not found.")

    def _moment(self, text: object, key: str, now: float) -> tuple[float, int]:
        """The snapshot moment and offset of a page: now, or those its NextToken carries."""
        if text is None:
            # A snapshot is taken to the millisecond, as AWS's timestamps are.
            return round(now, 3), 0
        token = self._read_token(str(text), key)
        if (now - token.made) / self.clock_speed >= catalogue.NEXT_TOKEN_TTL_SECONDS:
            raise ApiError(
                "InvalidRequestException",
                f"NextToken: expired; a token lasts {catalogue.NEXT_TOKEN_TTL_SECONDS} seconds",
            )
        return token.snapshot, token.offset

    def _read_token(self, text: str, key: str) -> Token:
        token = self._tokens.decode(text)
        if token is None:
            raise ApiError("InvalidParameterException", "NextToken: not a token this API gave out")
        if token.key != key:
            raise ApiError(
                "InvalidRequestException",
                "NextToken: the request's parameters differ from those of the request "
                "that made the token",
            )
        return token

    def _list_page(
        self, query: Mapping[str, list[str]], key: str, total: int
    ) -> tuple[slice, dict[str, str]]:
        raw_size = query.get("maxResults", [str(_LIST_DEFAULT_RESULTS)])[-1]
        try:
            size = int(raw_size)
        except ValueError:
            size = 0
        if not 1 <= size <= _LIST_MAX_RESULTS:
            raise ApiError(
                "InvalidParameterException",
                f"MaxResults: must be from 1 to {_LIST_MAX_RESULTS}; got {raw_size!r}",
            )
        offset = 0
        if "nextToken" in query:
            offset = self._read_token(query["nextToken"][-1], key).offset
        token = {}
        if offset + size < total:
            now = self.clock()
            token["NextToken"] = self._tokens.encode(Token(key, offset + size, now, now))
        return slice(offset, offset + size), token


def _queue_count(queues: int | None, queue_names: Sequence[str] | None) -> int:
    if queue_names is not None:
        names = list(queue_names)
        if queues is not None and queues != len(names):
            raise ValueError(f"queues={queues} but {len(names)} queue_names were given")
        bad = [n for n in names if not isinstance(n, str) or not 1 <= len(n) <= _MAX_QUEUE_NAME]
        if bad:
            raise ValueError(f"queue names must be 1 to {_MAX_QUEUE_NAME} characters: {bad!r}")
        if len(set(names)) != len(names):
            raise ValueError("queue names must be unique within an instance, as in Connect")
        queues = len(names)
    count = DEFAULT_QUEUES if queues is None else queues
    if not 1 <= count <= _MAX_QUEUES:
        raise ValueError(f"queues must be from 1 to {_MAX_QUEUES}; got {count}")
    return count


def simulated_client(
    seed: int = 7,
    *,
    region: str = DEFAULT_REGION,
    config: Config | None = None,
    instance_id: str = catalogue.SIMULATED_INSTANCE_ID,
    queues: int | None = None,
    agents: int = DEFAULT_AGENTS,
    routing_profiles: int = DEFAULT_ROUTING_PROFILES,
    queue_names: Sequence[str] | None = None,
    faults: Faults | None = None,
    control_redis_url: str | None = None,
    clock: Callable[[], float] | None = None,
) -> "ConnectClient":
    """A boto3 ``connect`` client bound to a new ``SimulatedCentre`` (see it for the arguments;
    here the clock is by default the product's, dashboard/lib/clock.py, at its speed: real
    time unless an endurance run speeds it up)."""
    centre = SimulatedCentre(
        seed,
        instance_id=instance_id,
        region=region,
        queues=queues,
        agents=agents,
        routing_profiles=routing_profiles,
        queue_names=queue_names,
        faults=faults,
        control_redis_url=control_redis_url,
        clock=product_clock.now if clock is None else clock,
        clock_speed=product_clock.speed() if clock is None else 1.0,
    )
    return centre.client(config=config)
