"""Admin for wallboards and their display tokens.

A display token's value is shown once, in the message after it is made, as
the TV URL to open; only its hash is stored and nobody can type one in.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from connectmetrics.connectapi.catalogue import METRIC_NAMES
from connectmetrics.models import METRIC_CHOICES
from connectmetrics.wire.socket_messages import ScreenSettings, field_names
from dashboard.models import DisplayToken, Panel, Wallboard


def tv_url(request: HttpRequest, wallboard: Wallboard, raw_token: str) -> str:
    path = reverse("wallboard-tv", args=[wallboard.slug])
    return request.build_absolute_uri(f"{path}?token={raw_token}")


def announce_token(request: HttpRequest, token: DisplayToken, raw: str) -> None:
    messages.success(
        request,
        format_html(
            "Display token “{}” made. Open this URL on the screen; it is shown only "
            "this once: <code>{}</code>",
            token.label,
            tv_url(request, token.wallboard, raw),
        ),
    )


class WallboardForm(forms.ModelForm):
    class Meta:
        model = Wallboard
        # What a screen is told (the "wallboard" message, its panels apart), and who may view it.
        fields = [
            *(name for name in field_names(ScreenSettings) if name != "panels"),
            "viewers",
            "viewer_groups",
            "frame_origins",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            rotation = self.fields["rotation"]
            assert isinstance(rotation, forms.ModelMultipleChoiceField)
            rotation.queryset = Wallboard.objects.exclude(pk=self.instance.pk)


class PanelForm(forms.ModelForm):
    columns = forms.MultipleChoiceField(
        choices=METRIC_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="A queue filter's panel: shown in this order. Only metrics its queue filter "
        "fetches can be shown; after choosing another queue filter, save to choose from its "
        "metrics. An agent grid has none.",
    )

    class Meta:
        model = Panel
        fields = [
            "position",
            "title",
            "queue_filter",
            "agent_source",
            "today_source",
            "layout",
            "columns",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        panel = self.instance
        if panel.queue_filter_id:
            offered = set(panel.queue_filter.metrics) | set(panel.columns or ())
            columns = self.fields["columns"]
            assert isinstance(columns, forms.MultipleChoiceField)
            columns.choices = [(name, label) for name, label in METRIC_CHOICES if name in offered]

    def clean_columns(self) -> list[str]:
        chosen = set(self.cleaned_data["columns"])
        return [name for name in METRIC_NAMES if name in chosen]


class PanelInline(admin.StackedInline):
    model = Panel
    form = PanelForm
    extra = 0
    min_num = 1
    ordering = ["position", "pk"]
    verbose_name_plural = (
        "Panels (shown in the order of their position; a TV shows them all at once)"
    )

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # A wallboard shows at least one panel (the admin does not check min_num itself).
        return super().get_formset(request, obj, validate_min=True, **kwargs)


class DisplayTokenInline(admin.TabularInline):
    model = DisplayToken
    extra = 0
    fields = ["label", "prefix", "created_at", "last_seen_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_seen_at", "revoked_at"]
    verbose_name = "display token"
    verbose_name_plural = "Display tokens (a new one shows its TV URL once, after saving)"


@admin.register(Wallboard)
class WallboardAdmin(admin.ModelAdmin):
    form = WallboardForm
    inlines = [PanelInline, DisplayTokenInline]
    list_display = ["title", "slug", "panel_list", "theme", "views"]
    list_filter = [
        "theme",
        "panels__queue_filter",
        "panels__agent_source",
        "panels__today_source",
    ]
    search_fields = ["title", "slug", "ticker"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["rotation", "viewers", "viewer_groups"]
    fieldsets = [
        (None, {"fields": ["title", "slug"]}),
        ("Look", {"fields": ["theme", "ticker", "sound_on_critical"]}),
        ("TV rotation", {"fields": ["rotation", "rotation_seconds"]}),
        (
            "Who may view it",
            {
                "fields": ["viewers", "viewer_groups"],
                "description": "Staff see every wallboard. TVs use display tokens instead.",
            },
        ),
        ("Showing the TV view in a frame", {"fields": ["frame_origins"]}),
    ]

    @admin.display(description="Panels")
    def panel_list(self, obj: Wallboard) -> str:
        return ", ".join(f"{panel} ({panel.get_layout_display()})" for panel in obj.panels.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Wallboard]:
        return super().get_queryset(request).prefetch_related("panels")

    @admin.display(description="Open")
    def views(self, obj: Wallboard) -> str:
        return format_html(
            '<a href="{}" target="_blank">Supervisor view</a> · '
            '<a href="{}" target="_blank">TV view</a>',
            reverse("wallboard-supervisor", args=[obj.slug]),
            reverse("wallboard-tv", args=[obj.slug]),
        )

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool
    ) -> None:
        if formset.model is not DisplayToken:
            super().save_formset(request, form, formset, change)
            return
        for token in formset.save(commit=False):
            if token.pk is None:
                made, raw = DisplayToken.issue(form.instance, token.label)
                announce_token(request, made, raw)
            else:
                token.save()
        for token in formset.deleted_objects:
            token.delete()


class RevokedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[DisplayToken]
    ) -> QuerySet[DisplayToken]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(DisplayToken)
class DisplayTokenAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "wallboard",
        "prefix_shown",
        "created_at",
        "last_seen_at",
        "revoked_at",
    ]
    list_filter = [RevokedFilter, "wallboard"]
    search_fields = ["label", "prefix", "wallboard__title"]
    actions = ["revoke"]
    fields = ["wallboard", "label", "prefix", "created_at", "last_seen_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_seen_at", "revoked_at"]

    @admin.display(description="Token starts", ordering="prefix")
    def prefix_shown(self, obj: DisplayToken) -> str:
        return f"{obj.prefix}…"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None:
            return ["wallboard", *self.readonly_fields]
        return list(self.readonly_fields)

    def save_model(
        self, request: HttpRequest, obj: DisplayToken, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        made, raw = DisplayToken.issue(obj.wallboard, obj.label)
        # The admin carries on with `obj` (its log entry, its redirect).
        obj.pk = made.pk
        obj.refresh_from_db()
        announce_token(request, made, raw)

    @admin.action(description="Revoke (closes the screens using them at once)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[DisplayToken]) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            token.revoke()
        self.message_user(
            request,
            f"Revoked {len(tokens)} display token{'s' if len(tokens) != 1 else ''}; "
            "the screens using them are closed.",
            messages.SUCCESS,
        )
