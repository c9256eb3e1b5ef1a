"""Admin for API tokens: made here (the secret shown once), limited to instances, revoked here."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from connectmetrics.models import ApiToken


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "all_instances", "instances"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("all_instances") and not cleaned.get("instances"):
            raise forms.ValidationError(
                "Choose the Connect instances this token may read, or tick 'every instance'."
            )
        return cleaned


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "prefix_shown", "scope", "created_at", "last_used_at", "state"]
    list_filter = [StateFilter, "all_instances"]
    search_fields = ["name", "prefix"]
    filter_horizontal = ["instances"]
    readonly_fields = ["prefix_shown", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("name", "all_instances", "instances")
        return ("name", "prefix_shown", "all_instances", "instances", *self.readonly_fields[1:])

    @admin.display(description="token starts with")
    def prefix_shown(self, token: ApiToken) -> str:
        return f"{token.prefix}…" if token.prefix else ""

    @admin.display(description="may read")
    def scope(self, token: ApiToken) -> str:
        if token.all_instances:
            return "Every instance"
        return ", ".join(instance.name for instance in token.instances.all()) or "Nothing"

    @admin.display(description="state")
    def state(self, token: ApiToken) -> str:
        if token.revoked_at is not None:
            return f"Revoked {timezone.localtime(token.revoked_at):%Y-%m-%d %H:%M}"
        return "Active"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        return super().get_queryset(request).prefetch_related("instances")

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        raw = None if change else obj.give_secret()
        super().save_model(request, obj, form, change)
        if raw is not None:
            messages.warning(
                request,
                f"The API token for {obj.name} is {raw} — copy it now: it is stored only as a "
                "hash and will not be shown again. Send it as 'Authorization: Bearer <token>'.",
            )

    @admin.action(description="Revoke the selected API tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            f"Revoked {count} API token(s); they are refused from now on.",
            messages.SUCCESS,
        )
