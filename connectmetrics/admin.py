from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from connectmetrics.client.connection import check_connection
from connectmetrics.client.outcomes import UpstreamError
from connectmetrics.client.telemetry import Tally
from connectmetrics.discovery import discover
from connectmetrics.forms import ConnectInstanceForm, QueueFilterForm
from connectmetrics.models import ConnectInstance, Queue, QueueFilter, RoutingProfile, Threshold
from connectmetrics.poller.poll_now import poll_now
from connectmetrics.poller.poller_status import (
    UNKNOWN,
    PollerStatus,
    instance_status,
    read_last_hour,
    source_status,
)

# The last hour's telemetry, read once per changelist page rather than once per row.
_last_hour: ContextVar[Tally | None] = ContextVar("admin_last_hour", default=None)


@contextmanager
def _last_hour_at_hand() -> Iterator[None]:
    reset = _last_hour.set(read_last_hour())
    try:
        yield
    finally:
        _last_hour.reset(reset)


def _tally() -> Tally | None:
    return _last_hour.get() or read_last_hour()


def _when(moment: datetime | None) -> str:
    """ "09:07:23 (8 s ago)", with the date when it was not today."""
    if moment is None:
        return "never"
    now = timezone.localtime()
    local = timezone.localtime(moment)
    shown = f"{local:%H:%M:%S}" if local.date() == now.date() else f"{local:%Y-%m-%d %H:%M}"
    seconds = (now - local).total_seconds()
    ago = f"{max(0, int(seconds))} s" if seconds < 60 else timesince(moment, now).split(",")[0]
    return f"{shown} ({ago} ago)"


def _count(value: int | None) -> str:
    return UNKNOWN if value is None else str(value)


def _last_error(status: PollerStatus) -> str:
    if not status.last_error:
        return "none"
    when = f" ({_when(status.last_error_at)})" if status.last_error_at else ""
    return f"{status.last_error}{when}"


class PollerStatusAdmin(admin.ModelAdmin):
    """Columns and fields that say how the poller is doing, from one status per object."""

    # How one object's status is built from the last hour's figures: set by each admin below.
    build_status: Callable[[Any, Tally | None], PollerStatus]

    def poller_status(self, obj: Any) -> PollerStatus:
        return self.build_status(obj, _tally())

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with _last_hour_at_hand():
            response = super().changelist_view(request, extra_context)
            # Rendered now, while the last hour's figures are at hand.
            if isinstance(response, TemplateResponse):
                response.render()
        return response

    @admin.display(description="Poller")
    def state(self, obj: Any) -> str:
        return self.poller_status(obj).summary

    @admin.display(description="Last good poll")
    def last_good_poll(self, obj: Any) -> str:
        return _when(self.poller_status(obj).last_good_poll)

    @admin.display(description="Last error")
    def last_error(self, obj: Any) -> str:
        return _last_error(self.poller_status(obj))

    @admin.display(description="Last error")
    def last_error_brief(self, obj: Any) -> SafeString:
        """The list's column: the outcome and when; AWS's own words on hover."""
        full = _last_error(self.poller_status(obj))
        brief = full if len(full) <= LIST_ERROR_CHARS else full[: LIST_ERROR_CHARS - 1] + "…"
        return format_html('<span title="{}">{}</span>', full, brief)

    @admin.display(description="Upstream calls, last hour")
    def calls_last_hour(self, obj: Any) -> str:
        return _count(self.poller_status(obj).calls_last_hour)

    @admin.display(description="Throttled, last hour")
    def throttles_last_hour(self, obj: Any) -> str:
        return _count(self.poller_status(obj).throttles_last_hour)

    def _poll_now(self, request: HttpRequest, sources: QuerySet[Any]) -> None:
        for source in sources.select_related("instance"):
            done, words = poll_now(source)
            self.message_user(request, words, messages.SUCCESS if done else messages.ERROR)


STATUS_FIELDS = ["state", "last_good_poll", "last_error", "calls_last_hour", "throttles_last_hour"]
LIST_STATUS_FIELDS = [
    "state",
    "last_good_poll",
    "last_error_brief",
    "calls_last_hour",
    "throttles_last_hour",
]
LIST_ERROR_CHARS = 60


@admin.register(ConnectInstance)
class ConnectInstanceAdmin(PollerStatusAdmin):
    form = ConnectInstanceForm
    list_display = [
        "name",
        "region",
        "instance_id",
        "access_mode",
        "poll_interval",
        "enabled",
        *LIST_STATUS_FIELDS,
    ]
    list_filter = ["region", "access_mode", "enabled"]
    search_fields = ["name", "instance_id", "instance_arn"]
    readonly_fields = ["instance_id", "instance_arn", *STATUS_FIELDS, "queue_filters_status"]
    actions = ["discover_catalogue", "test_connection", "poll_instance_now"]
    fieldsets = [
        (None, {"fields": ["name", "region", "instance_ref", "poll_interval", "enabled"]}),
        (
            "Access",
            {
                "fields": ["access_mode", "role_arn", "external_id"],
                "description": "No AWS secret key is stored here: the default credential chain "
                "of the server, an assumed role, or the simulated contact centre.",
            },
        ),
        (
            "Simulated contact centre",
            {
                "fields": ["simulator_seed", "simulator_queues", "simulator_agents"],
                "classes": ["collapse"],
            },
        ),
        (
            "Today's performance",
            {
                "fields": ["time_zone", "service_level_threshold", "service_level_target"],
                "description": "The centre's day and its default service level, for today "
                "sources (a today source may set a threshold and target per queue).",
            },
        ),
        ("Status", {"fields": ["instance_id", "instance_arn", *STATUS_FIELDS]}),
        ("Queue filters", {"fields": ["queue_filters_status"]}),
    ]

    build_status = staticmethod(instance_status)

    @admin.display(description="Queue filters")
    def queue_filters_status(self, obj: ConnectInstance) -> SafeString | str:
        if obj.pk is None:
            return "none yet"
        tally = _tally()
        rows = [
            (queue_filter, source_status(queue_filter, tally))
            for queue_filter in obj.queue_filters.select_related("instance").order_by("name")
        ]
        if not rows:
            return "none yet"
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    queue_filter.name,
                    status.summary,
                    _when(status.last_good_poll),
                    _last_error(status),
                    _count(status.calls_last_hour),
                    _count(status.throttles_last_hour),
                )
                for queue_filter, status in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>Queue filter</th><th>Poller</th><th>Last good poll</th>"
            "<th>Last error</th><th>Upstream calls, last hour</th>"
            "<th>Throttled, last hour</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    @admin.action(description="Discover queues and routing profiles")
    def discover_catalogue(self, request: HttpRequest, queryset: QuerySet[ConnectInstance]) -> None:
        for instance in queryset:
            try:
                found = discover(instance)
            except UpstreamError as error:
                self.message_user(request, f"{instance.name}: {error.description}.", messages.ERROR)
            else:
                self.message_user(request, f"{instance.name}: {found.describe()}", messages.SUCCESS)

    @admin.action(description="Test connection")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[ConnectInstance]) -> None:
        for instance in queryset:
            result = check_connection(instance)
            self.message_user(
                request, result.message, messages.SUCCESS if result.ok else messages.ERROR
            )

    @admin.action(description="Poll now (every enabled queue filter)", permissions=["change"])
    def poll_instance_now(self, request: HttpRequest, queryset: QuerySet[ConnectInstance]) -> None:
        self._poll_now(
            request, QueueFilter.objects.filter(instance__in=queryset, enabled=True).order_by("pk")
        )


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "instance", "queue_id", "queue_type"]
    list_filter = ["instance", "queue_type"]
    search_fields = ["name", "queue_id", "arn"]
    readonly_fields = ["instance", "queue_id", "arn", "queue_type"]


@admin.register(RoutingProfile)
class RoutingProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "instance", "routing_profile_id"]
    list_filter = ["instance"]
    search_fields = ["name", "routing_profile_id", "arn"]
    readonly_fields = ["instance", "routing_profile_id", "arn"]


class ThresholdInline(admin.TabularInline):
    model = Threshold
    extra = 1
    fields = ["metric", "queue", "direction", "warning", "critical"]


@admin.register(QueueFilter)
class QueueFilterAdmin(PollerStatusAdmin):
    form = QueueFilterForm
    inlines = [ThresholdInline]
    list_display = ["name", "instance", "grouping", "metric_count", "enabled", *LIST_STATUS_FIELDS]
    list_filter = ["instance", "enabled", "primary_grouping"]
    list_select_related = ["instance"]
    search_fields = ["name", "instance__name", "queues__name"]
    filter_horizontal = ["queues", "routing_profiles"]
    readonly_fields = STATUS_FIELDS
    actions = ["poll_filter_now"]
    fieldsets = [
        (None, {"fields": ["name", "instance", "enabled"]}),
        (
            "Filters",
            {
                "fields": ["queues", "routing_profiles", "channels"],
                "description": "Queues or routing profiles, not both.",
            },
        ),
        (
            "Groupings and sort",
            {"fields": ["primary_grouping", "secondary_grouping", "sort_metric", "sort_order"]},
        ),
        ("Metrics", {"fields": ["metrics"]}),
        ("Status", {"fields": tuple(STATUS_FIELDS)}),
    ]

    build_status = staticmethod(source_status)

    @admin.display(description="Grouping")
    def grouping(self, obj: QueueFilter) -> str:
        return " + ".join(obj.groupings) or "None (one summary row)"

    @admin.display(description="Metrics")
    def metric_count(self, obj: QueueFilter) -> int:
        return len(obj.metrics)

    @admin.action(description="Poll now", permissions=["change"])
    def poll_filter_now(self, request: HttpRequest, queryset: QuerySet[QueueFilter]) -> None:
        self._poll_now(request, queryset.order_by("pk"))
