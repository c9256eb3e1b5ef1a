"""Admin forms: every GetCurrentMetricData rule is a form error on its field."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import METRIC_NAMES
from connectmetrics.models import (
    CHANNEL_CHOICES,
    METRIC_CHOICES,
    ConnectInstance,
    QueueFilter,
)
from connectmetrics.wire.filter_request import build_request

# Which form field a rule's request field is shown on.
_FIELD_FOR_RULE = {
    "Filters": "queues",
    "Filters.Queues": "queues",
    "Filters.RoutingProfiles": "routing_profiles",
    "Filters.Channels": "channels",
    "Groupings": "primary_grouping",
    "CurrentMetrics": "metrics",
    "SortCriteria": "sort_metric",
}


class ConnectInstanceForm(forms.ModelForm):
    instance_ref = forms.CharField(
        label="Instance ID or ARN",
        max_length=200,
        help_text="The instance ID (a UUID) or its ARN, "
        "arn:aws:connect:<region>:<account>:instance/<instance-id>.",
    )

    class Meta:
        model = ConnectInstance
        fields = [
            "name",
            "region",
            "instance_ref",
            "access_mode",
            "role_arn",
            "external_id",
            "simulator_seed",
            "simulator_queues",
            "simulator_agents",
            "poll_interval",
            "enabled",
            "time_zone",
            "service_level_threshold",
            "service_level_target",
        ]
        widgets = {"region": forms.Select()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from connectmetrics.connectapi.regions import connect_regions

        self.fields["region"].widget.choices = [(r, r) for r in connect_regions()]
        if self.instance.pk:
            self.fields["instance_ref"].initial = (
                self.instance.instance_arn or self.instance.instance_id
            )

    def clean_instance_ref(self) -> str:
        value = self.cleaned_data["instance_ref"].strip()
        try:
            instance_id, arn = rules.parse_instance(value)
        except ValueError as error:
            raise ValidationError(str(error)) from error
        self.instance.instance_id = instance_id
        self.instance.instance_arn = arn or ""
        return value


def _queue_filter_request(data: dict[str, Any]) -> dict[str, Any]:
    groupings = [g for g in (data.get("primary_grouping"), data.get("secondary_grouping")) if g]
    return build_request(
        queue_ids=[q.queue_id for q in data.get("queues") or []],
        routing_profile_ids=[p.routing_profile_id for p in data.get("routing_profiles") or []],
        channels=data.get("channels") or [],
        groupings=groupings,
        metrics=data.get("metrics") or [],
        sort_metric=data.get("sort_metric") or "",
        sort_order=data.get("sort_order") or "",
    )


class QueueFilterForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=CHANNEL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    metrics = forms.MultipleChoiceField(choices=METRIC_CHOICES, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = QueueFilter
        fields = [
            "name",
            "instance",
            "queues",
            "routing_profiles",
            "channels",
            "primary_grouping",
            "secondary_grouping",
            "metrics",
            "sort_metric",
            "sort_order",
            "enabled",
        ]

    def clean_metrics(self) -> list[str]:
        chosen = set(self.cleaned_data["metrics"])
        # Keep the catalogue's order, so columns come out in a sensible order.
        return [name for name in METRIC_NAMES if name in chosen]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        instance = data.get("instance")
        if instance is not None:
            for field, items in (
                ("queues", data.get("queues") or []),
                ("routing_profiles", data.get("routing_profiles") or []),
            ):
                foreign = [str(item) for item in items if item.instance_id != instance.pk]
                if foreign:
                    self.add_error(
                        field, f"These belong to another Connect instance: {', '.join(foreign)}."
                    )
        if self.errors:
            return data
        for violation in rules.check_request(_queue_filter_request(data)):
            self.add_error(_FIELD_FOR_RULE.get(violation.field), violation.message)
        return data
