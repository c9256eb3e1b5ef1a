"""Admin for API tokens: made here (the secret shown once), limited to instances, revoked here.

CredentialAdmin is what every kind of credential another tool reads with shares
(API tokens here, AWS access keys in connectmetrics.awsapi.admin).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from connectmetrics.models import ApiToken, AwsAccessKey


class CredentialForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("all_instances") and not cleaned.get("instances"):
            raise forms.ValidationError(
                "Choose the Connect instances this may read, or tick 'every instance'."
            )
        return cleaned


class ApiTokenForm(CredentialForm):
    class Meta:
        model = ApiToken
        fields = ["name", "all_instances", "instances"]


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class CredentialAdmin(admin.ModelAdmin):
    """Made here (the secret shown once), limited to instances, revoked here; never the secret."""

    # What a kind calls itself in messages, and its own identifying field.
    noun = "credential"
    shown_field = ""
    list_filter = [StateFilter, "all_instances"]
    filter_horizontal = ["instances"]
    actions = ["revoke"]

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        return ("name", self.shown_field, "scope", "created_at", "last_used_at", "state")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [self.shown_field, "created_at", "last_used_at", "revoked_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("name", "all_instances", "instances")
        return ("name", "all_instances", "instances", *self.get_readonly_fields(request, obj))

    @admin.display(description="may read")
    def scope(self, credential: ApiToken | AwsAccessKey) -> str:
        if credential.all_instances:
            return "Every instance"
        return ", ".join(instance.name for instance in credential.instances.all()) or "Nothing"

    @admin.display(description="state")
    def state(self, credential: ApiToken | AwsAccessKey) -> str:
        if credential.revoked_at is not None:
            return f"Revoked {timezone.localtime(credential.revoked_at):%Y-%m-%d %H:%M}"
        return "Active"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("instances")

    # Gives a new credential its secret (kept only hashed or encrypted) and returns it.
    give_secret: Callable[[Any], str]
    # The message that shows the secret, the only time it is shown ({credential}, {secret}).
    shown_once = ""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        secret = None if change else type(self).give_secret(obj)
        super().save_model(request, obj, form, change)
        if secret is not None:
            messages.warning(request, self.shown_once.format(credential=obj, secret=secret))

    @admin.action(description="Revoke the selected %(verbose_name_plural)s")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            f"Revoked {count} {self.noun}(s); they are refused from now on.",
            messages.SUCCESS,
        )


@admin.register(ApiToken)
class ApiTokenAdmin(CredentialAdmin):
    form = ApiTokenForm
    noun = "API token"
    shown_field = "prefix_shown"
    search_fields = ["name", "prefix"]

    @admin.display(description="token starts with")
    def prefix_shown(self, token: ApiToken) -> str:
        return f"{token.prefix}…" if token.prefix else ""

    give_secret = staticmethod(ApiToken.give_secret)
    shown_once = (
        "The API token for {credential.name} is {secret} — copy it now: it is stored only as a "
        "hash and will not be shown again. Send it as 'Authorization: Bearer <token>'."
    )
