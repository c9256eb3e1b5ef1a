"""Alert rules, destinations, open alerts and the alert history in the admin."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from connectmetrics.alerts import on_screens
from connectmetrics.alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    Destination,
    DestinationKind,
    new_signing_secret,
)


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "health"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["health", "signing_secret_shown", "last_success_at"]
    fields = [
        "name",
        "kind",
        "url",
        "email_to",
        "enabled",
        "health",
        "signing_secret_shown",
        "last_success_at",
    ]
    actions = ["new_secret"]

    @admin.display(description="health")
    def health(self, destination: Destination) -> str:
        if destination.failing:
            return format_html(
                '<strong style="color:#b00">Failing since {} ({} attempts in a row): {}</strong>',
                destination.failing_since and f"{destination.failing_since:%Y-%m-%d %H:%M:%S}",
                destination.consecutive_failures,
                destination.last_error,
            )
        if destination.consecutive_failures:
            return f"Last attempt failed: {destination.last_error}"
        return "OK" if destination.last_success_at else "Nothing sent yet"

    @admin.display(description="signing secret")
    def signing_secret_shown(self, destination: Destination) -> str:
        if destination.kind != DestinationKind.WEBHOOK or destination.pk is None:
            return "Webhooks only, once saved."
        return destination.signing_secret

    @admin.action(description="Give the selected webhooks a new signing secret")
    def new_secret(self, request: HttpRequest, queryset: QuerySet[Destination]) -> None:
        for destination in queryset.filter(kind=DestinationKind.WEBHOOK):
            destination.signing_secret = new_signing_secret()
            destination.save(update_fields=["signing_secret"])
        self.message_user(request, "New signing secrets made: update the receivers.")


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "threshold",
        "level",
        "raise_after",
        "clear_after",
        "repeat_every",
        "enabled",
    ]
    list_filter = ["enabled", "level", "threshold__queue_filter"]
    filter_horizontal = ["destinations"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = [
        "rule",
        "row_label",
        "status",
        "level",
        "value",
        "breached_since",
        "raised_at",
        "cleared_at",
        "acknowledged",
    ]
    list_filter = ["status", "rule", "level"]
    search_fields = ["row_label", "rule__name"]
    date_hierarchy = "breached_since"
    actions = ["acknowledge"]

    def get_readonly_fields(self, request: HttpRequest, obj: Alert | None = None) -> list[str]:
        return [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="acknowledged")
    def acknowledged(self, alert: Alert) -> str:
        if alert.acknowledged_at is None:
            return ""
        who = alert.acknowledged_by.get_username() if alert.acknowledged_by else "someone"
        return f"{who} at {alert.acknowledged_at:%Y-%m-%d %H:%M:%S}"

    @admin.action(description="Acknowledge the selected open alerts")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        done = sum(
            on_screens.acknowledge(alert, request.user)
            for alert in queryset.filter(status=AlertStatus.OPEN).select_related("rule__threshold")
        )
        level = messages.SUCCESS if done else messages.WARNING
        self.message_user(request, f"{done} alert(s) acknowledged.", level)


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "rule_name", "row_label", "level", "value", "by", "held", "sent"]
    list_filter = ["kind", "rule_name", "level", "held", "at"]
    search_fields = ["row_label", "rule_name"]
    date_hierarchy = "at"
    list_select_related = ["by"]

    def get_readonly_fields(self, request: HttpRequest, obj: AlertEvent | None = None) -> list[str]:
        return [f.name for f in AlertEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AlertEvent | None = None) -> bool:
        return False

    @admin.display(description="sent to")
    def sent(self, event: AlertEvent) -> str:
        return ", ".join(
            f"{d.destination.name}: {d.get_status_display().lower()}"
            for d in event.deliveries.select_related("destination")
        )
