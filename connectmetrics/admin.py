from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.timesince import timesince

from connectmetrics.connection import check_connection
from connectmetrics.discovery import discover
from connectmetrics.forms import ConnectInstanceForm, QueueFilterForm
from connectmetrics.models import ConnectInstance, Queue, QueueFilter, RoutingProfile, Threshold
from connectmetrics.outcomes import UpstreamError


def _status(success_at: object, error_at: object, error: str) -> str:
    if error and (success_at is None or (error_at and error_at > success_at)):  # type: ignore[operator]
        return f"Failing: {error}"
    if success_at is not None:
        return f"OK, {timesince(success_at, timezone.now())} ago"  # type: ignore[arg-type]
    return "Not polled yet"


@admin.register(ConnectInstance)
class ConnectInstanceAdmin(admin.ModelAdmin):
    form = ConnectInstanceForm
    list_display = [
        "name",
        "region",
        "instance_id",
        "access_mode",
        "poll_interval",
        "enabled",
        "status",
    ]
    list_filter = ["region", "access_mode", "enabled"]
    search_fields = ["name", "instance_id", "instance_arn"]
    readonly_fields = [
        "instance_id",
        "instance_arn",
        "last_success_at",
        "last_error_at",
        "last_error_class",
        "last_error_message",
    ]
    actions = ["discover_catalogue", "test_connection"]
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
            "Status",
            {
                "fields": [
                    "instance_id",
                    "instance_arn",
                    "last_success_at",
                    "last_error_at",
                    "last_error_class",
                    "last_error_message",
                ]
            },
        ),
    ]

    @admin.display(description="Status")
    def status(self, obj: ConnectInstance) -> str:
        error = f"{obj.last_error_class}: {obj.last_error_message}" if obj.last_error_class else ""
        return _status(obj.last_success_at, obj.last_error_at, error)

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
    autocomplete_fields = ["queue"]


@admin.register(QueueFilter)
class QueueFilterAdmin(admin.ModelAdmin):
    form = QueueFilterForm
    inlines = [ThresholdInline]
    list_display = ["name", "instance", "grouping", "metric_count", "enabled", "status"]
    list_filter = ["instance", "enabled", "primary_grouping"]
    search_fields = ["name", "instance__name", "queues__name"]
    filter_horizontal = ["queues", "routing_profiles"]
    readonly_fields = ["last_polled_at", "last_success_at", "last_error_message"]
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
        ("Status", {"fields": ["last_polled_at", "last_success_at", "last_error_message"]}),
    ]

    @admin.display(description="Grouping")
    def grouping(self, obj: QueueFilter) -> str:
        return " + ".join(obj.groupings) or "None (one summary row)"

    @admin.display(description="Metrics")
    def metric_count(self, obj: QueueFilter) -> int:
        return len(obj.metrics)

    @admin.display(description="Status")
    def status(self, obj: QueueFilter) -> str:
        return _status(
            obj.last_success_at,
            obj.last_polled_at if obj.last_error_message else None,
            obj.last_error_message,
        )
