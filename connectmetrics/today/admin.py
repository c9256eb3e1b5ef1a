"""The admin of today sources: the queues, each with its own threshold and target,
or the routing profiles (at the instance's), and the metrics shown in order,
checked with the same rules as the poller and the simulated centre (rules.py),
each error on its field. A source takes queues or routing profiles, never both:
its grouping says which."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from connectmetrics.admin import LIST_STATUS_FIELDS, STATUS_FIELDS, PollerStatusAdmin
from connectmetrics.models import ConnectInstance, Queue, RoutingProfile
from connectmetrics.poller.poller_status import source_status
from connectmetrics.today import rules
from connectmetrics.today.models import TodayQueue, TodaySource, channel_choices
from dashboard.lib import clock

# The words for each field a rule names (rules.FIELDS).
FIELD_WORDS = {
    "instance": "Instance (its ARN: discover its queues first)",
    "time_zone": "Instance time zone",
    "channels": "Channels",
    "queues": "Queues",
    "routing_profiles": "Routing profiles",
    "grouping": "Grouping",
    "metrics": "Metrics",
    "service_level_threshold": "Service-level threshold",
}


def _words(problems: list[rules.Violation]) -> list[str]:
    return [f"{FIELD_WORDS.get(p.field, p.field)}: {p.message}" for p in problems]


def _plan(
    source: TodaySource, instance: ConnectInstance, rows: tuple[rules.RowAsked, ...]
) -> rules.Plan:
    return rules.Plan(
        resource_arn=instance.resource_arn(),
        time_zone=instance.time_zone,
        channels=tuple(source.channels or []),
        rows=rows,
        grouping=source.grouping,
        metrics=tuple(source.metrics or ()),
    )


class MetricsField(forms.CharField):
    """The metrics shown, in order: their GetMetricDataV2 names, separated by commas."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [name.strip().upper() for name in (text or "").split(",") if name.strip()]

    def validate(self, value: Any) -> None:
        if not value:
            raise forms.ValidationError("Choose at least one metric.")
        wrong = [name for name in value if name not in rules.WALL_METRICS]
        if wrong:
            raise forms.ValidationError(
                f"The wall shows {', '.join(rules.WALL_METRICS)}; got {', '.join(wrong)}."
            )
        if len(set(value)) != len(value):
            raise forms.ValidationError("Name each metric once.")


class TodaySourceForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=channel_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only contacts of these channels; none: every channel. Channels filter "
        "only: rows are queues or routing profiles, never channels.",
    )
    metrics = MetricsField(
        initial=", ".join(rules.DEFAULT_METRICS),
        widget=forms.TextInput(attrs={"size": 100}),
        help_text="The columns shown, in order, separated by commas: "
        f"{', '.join(rules.WALL_METRICS)}. The counts the total is recomputed from are "
        "asked whatever is shown.",
    )

    class Meta:
        model = TodaySource
        fields = [
            "name",
            "instance",
            "enabled",
            "grouping",
            "routing_profiles",
            "channels",
            "metrics",
        ]

    def clean(self) -> dict[str, Any]:
        """A source grouped by routing profile: its routing profiles, checked here (its
        queues, none, by the inline); one grouped by queue takes no routing profiles."""
        data = super().clean() or {}
        grouping, instance = data.get("grouping"), data.get("instance")
        profiles: list[RoutingProfile] = list(data.get("routing_profiles") or [])
        if grouping == rules.QUEUE and profiles:
            self.add_error(
                "routing_profiles",
                "A source grouped by queue takes queues, not routing profiles: remove "
                "them or group by routing profile.",
            )
        if grouping != rules.ROUTING_PROFILE or instance is None or self.errors:
            return data
        if not profiles:
            self.add_error("routing_profiles", "Choose at least one routing profile.")
            return data
        wrong = [str(p) for p in profiles if p.instance_id != instance.pk]
        if wrong:
            self.add_error(
                "routing_profiles",
                f"These routing profiles are not of the source's instance: {', '.join(wrong)}.",
            )
            return data
        source = TodaySource(
            instance=instance,
            grouping=grouping,
            channels=data.get("channels") or [],
            metrics=data.get("metrics") or [],
        )
        rows = tuple(
            rules.RowAsked(p.routing_profile_id, instance.service_level_threshold) for p in profiles
        )
        for problem in rules.check(_plan(source, instance, rows), clock.moment()):
            words = f"{FIELD_WORDS.get(problem.field, problem.field)}: {problem.message}"
            self.add_error(problem.field if problem.field in self.fields else None, words)
        return data


class TodayQueueFormSet(forms.BaseInlineFormSet):
    """The queues, checked together as the poller will ask them."""

    def clean(self) -> None:
        super().clean()
        source: TodaySource = self.instance
        if any(self.errors) or source.instance_id is None:
            return
        chosen = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if source.grouping == rules.ROUTING_PROFILE:
            if chosen:
                raise forms.ValidationError(
                    "Queues: a source grouped by routing profile takes routing profiles, "
                    "not queues: remove them or group by queue."
                )
            return
        if not chosen:
            raise forms.ValidationError("Choose at least one queue.")
        wrong = [str(d["queue"]) for d in chosen if d["queue"].instance_id != source.instance_id]
        if wrong:
            raise forms.ValidationError(
                f"These queues are not of the source's instance: {', '.join(wrong)}."
            )
        instance = source.instance
        rows = tuple(
            rules.RowAsked(
                d["queue"].queue_id,
                d.get("service_level_threshold") or instance.service_level_threshold,
            )
            for d in chosen
        )
        problems = rules.check(_plan(source, instance, rows), clock.moment())
        if problems:
            raise forms.ValidationError(_words(problems))


class TodayQueueInline(admin.TabularInline):
    model = TodayQueue
    formset = TodayQueueFormSet
    extra = 3
    fields = ["queue", "service_level_threshold", "service_level_target"]

    def get_formset(
        self, request: HttpRequest, obj: TodaySource | None = None, **kwargs: Any
    ) -> Any:
        """The queues offered: standard queues, those of the source's instance once saved."""
        formset = super().get_formset(request, obj, **kwargs)
        queues = Queue.objects.filter(queue_type="STANDARD").select_related("instance")
        if obj is not None and obj.instance_id is not None:
            queues = queues.filter(instance_id=obj.instance_id)
        field = formset.form.base_fields["queue"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queues
        return formset


@admin.register(TodaySource)
class TodaySourceAdmin(PollerStatusAdmin):
    form = TodaySourceForm
    inlines = [TodayQueueInline]
    list_display = ["name", "instance", "enabled", *LIST_STATUS_FIELDS]
    list_filter = ["instance", "enabled"]
    list_select_related = ["instance"]
    search_fields = ["name", "instance__name"]
    readonly_fields = STATUS_FIELDS
    actions = ["poll_source_now"]
    fieldsets = [
        (
            None,
            {
                "fields": tuple(TodaySourceForm.Meta.fields),
                "description": "Today's figures since midnight in the instance's time zone, "
                "polled about once a minute. Grouped by queue: choose the queues below, each "
                "with a service-level threshold and target (default: the instance's). Grouped "
                "by routing profile: choose routing profiles, at the instance's threshold and "
                "target.",
            },
        ),
        ("Status", {"fields": tuple(STATUS_FIELDS)}),
    ]

    filter_horizontal = ["routing_profiles"]

    build_status = staticmethod(source_status)

    def get_form(
        self,
        request: HttpRequest,
        obj: TodaySource | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        """The routing profiles offered: those of the source's instance once saved."""
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("routing_profiles")
        if isinstance(field, forms.ModelMultipleChoiceField) and obj is not None:
            field.queryset = RoutingProfile.objects.filter(instance_id=obj.instance_id)
        return form

    @admin.action(description="Poll now", permissions=["change"])
    def poll_source_now(self, request: HttpRequest, queryset: QuerySet[TodaySource]) -> None:
        self._poll_now(request, queryset.order_by("pk"))
