"""Alert rules and destinations (what an admin sets up), alerts and their history (what
happened), and deliveries (the outbox of messages to send).

One live alert per rule and row: a conditional unique constraint keeps a second worker, a
second beat or a restart from opening another; every state change is a compare-and-set
update, so exactly one evaluator wins each raise, repeat and clear.
"""

import secrets
import uuid
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, validate_email
from django.db import models, transaction
from django.utils import timezone

from connectmetrics.models import Threshold
from connectmetrics.wire.thresholds import Level
from dashboard.lib.sealed import SealedTextField


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            f"{value!r} is not an IANA time zone name (for example Europe/London)."
        )


def new_signing_secret() -> str:
    return secrets.token_urlsafe(32)


class DestinationKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (JSON, signed)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"
    EMAIL = "email", "E-mail"


class Destination(models.Model):
    """Where alerts are sent: a webhook, a Slack or Teams channel, or e-mail addresses."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=DestinationKind.choices)
    url = SealedTextField(
        "URL",
        blank=True,
        help_text="The webhook URL (Slack and Teams give one per channel). Stored encrypted.",
    )
    email_to = models.CharField(
        "e-mail to",
        max_length=1000,
        blank=True,
        help_text="Addresses, separated by commas (e-mail destinations only).",
    )
    signing_secret = SealedTextField(
        default=new_signing_secret,
        editable=False,
        help_text="Webhooks only: the key of the X-Wallboard-Signature header. Stored encrypted.",
    )
    enabled = models.BooleanField(default=True)

    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in self.email_to.split(",") if a.strip()]

    @property
    def failing(self) -> bool:
        return self.consecutive_failures >= settings.ALERT_FAILING_AFTER

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == DestinationKind.EMAIL:
            if not self.recipients:
                errors["email_to"] = "An e-mail destination needs at least one address."
            for address in self.recipients:
                try:
                    validate_email(address)
                except ValidationError:
                    errors["email_to"] = f"{address!r} is not an e-mail address."
            if self.url:
                errors["url"] = "An e-mail destination has no URL."
        elif self.kind:
            if not self.url.startswith(("https://", "http://")):
                errors["url"] = "A webhook destination needs an http:// or https:// URL."
            if self.email_to:
                errors["email_to"] = "Only e-mail destinations have addresses."
        if errors:
            raise ValidationError(errors)


class RuleLevel(models.TextChoices):
    WARNING = Level.WARNING.value, "Warning or critical"
    CRITICAL = Level.CRITICAL.value, "Critical only"


class AlertRule(models.Model):
    """When a threshold's breach is worth telling people about, and whom."""

    name = models.CharField(max_length=100, unique=True)
    # Protected: a threshold in use by a rule is not deleted by accident (the admin says so).
    threshold = models.ForeignKey(Threshold, on_delete=models.PROTECT, related_name="alert_rules")
    level = models.CharField(
        "raise at", max_length=10, choices=RuleLevel.choices, default=RuleLevel.WARNING
    )
    raise_after = models.PositiveIntegerField(
        "raise after (seconds)",
        default=60,
        help_text="How long a row must stay at that level before the alert is raised.",
    )
    clear_after = models.PositiveIntegerField(
        "clear after (seconds)",
        default=60,
        help_text="How long it must stay back below it before the alert clears.",
    )
    repeat_every = models.PositiveIntegerField(
        "repeat every (seconds)",
        null=True,
        blank=True,
        validators=[MinValueValidator(60)],
        help_text="Send the alert again while it lasts and nobody acknowledged it; empty: never.",
    )
    quiet_from = models.TimeField(null=True, blank=True, help_text="Quiet hours start.")
    quiet_until = models.TimeField(null=True, blank=True, help_text="Quiet hours end.")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="The centre's IANA time zone for quiet hours, e.g. Europe/London; "
        "empty: the server's TIME_ZONE.",
    )
    destinations = models.ManyToManyField(Destination, blank=True, related_name="rules")
    link = models.URLField(
        "wallboard link", blank=True, help_text="Sent with every alert, e.g. the wallboard's URL."
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def breached(self, level: str | None) -> bool:
        if level == Level.CRITICAL:
            return True
        return level == Level.WARNING and self.level == RuleLevel.WARNING

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone or settings.TIME_ZONE)
        except ZoneInfoNotFoundError:
            return ZoneInfo("UTC")

    def quiet_at(self, moment: datetime) -> bool:
        """Whether `moment` falls in the rule's quiet hours (which may span midnight)."""
        if self.quiet_from is None or self.quiet_until is None:
            return False
        local: time = moment.astimezone(self.zone()).time()
        if self.quiet_from <= self.quiet_until:
            return self.quiet_from <= local < self.quiet_until
        return local >= self.quiet_from or local < self.quiet_until

    def clean(self) -> None:
        if (self.quiet_from is None) != (self.quiet_until is None):
            field = "quiet_until" if self.quiet_from is not None else "quiet_from"
            raise ValidationError({field: "Quiet hours need both a start and an end."})
        if self.quiet_from is not None and self.quiet_from == self.quiet_until:
            raise ValidationError({"quiet_until": "Quiet hours must end at another time."})


class AlertStatus(models.TextChoices):
    PENDING = "pending", "Breaching, not raised yet"
    OPEN = "open", "Open"
    CLEARED = "cleared", "Cleared"


class Alert(models.Model):
    """One rule's breach on one row of its queue filter, from its first breaching poll."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    row_key = models.CharField(max_length=500)
    row_label = models.CharField("row", max_length=500)
    row_dimensions = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    level = models.CharField(max_length=10)
    value = models.FloatField(null=True)
    breached_since = models.DateTimeField()
    raised_at = models.DateTimeField(null=True, blank=True)
    recovered_since = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    raise_sent = models.BooleanField(default=False)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-breached_since"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "row_key"],
                condition=~models.Q(status="cleared"),
                name="one_live_alert_per_rule_and_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} on {self.row_label}"

    def acknowledge(self, user: Any) -> bool:
        """Record who acknowledged this open alert (it stops repeating); False when it is
        not open or was already acknowledged (the first acknowledgement stands)."""
        now = timezone.now()
        with transaction.atomic():
            won = Alert.objects.filter(
                pk=self.pk, status=AlertStatus.OPEN, acknowledged_at__isnull=True
            ).update(acknowledged_at=now, acknowledged_by=user)
            if won:
                AlertEvent.objects.create(
                    alert=self,
                    rule=self.rule,
                    rule_name=self.rule.name,
                    row_label=self.row_label,
                    kind=EventKind.ACKNOWLEDGED,
                    at=now,
                    level=self.level,
                    value=self.value,
                    by=user,
                )
        self.refresh_from_db()
        return bool(won)


class EventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    REPEATED = "repeated", "Repeated"
    CLEARED = "cleared", "Cleared"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class AlertEvent(models.Model):
    """The alert history: every raise, repeat, clear and acknowledgement."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The history outlives its rule: deleting a rule keeps its entries, by name.
    alert = models.ForeignKey(Alert, null=True, on_delete=models.SET_NULL, related_name="events")
    rule = models.ForeignKey(AlertRule, null=True, on_delete=models.SET_NULL, related_name="events")
    rule_name = models.CharField("rule", max_length=100)
    row_label = models.CharField("row", max_length=500)
    kind = models.CharField(max_length=15, choices=EventKind.choices)
    at = models.DateTimeField(db_index=True)
    level = models.CharField(max_length=10)
    value = models.FloatField(null=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held = models.BooleanField(
        "held for quiet hours", default=False, help_text="Not sent: it came in quiet hours."
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "alert history entry"
        verbose_name_plural = "alert history"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.rule_name} on {self.row_label}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up"


class Delivery(models.Model):
    """One event to one destination: written with the event, sent by the courier."""

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    destination = models.ForeignKey(
        Destination, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "destination"], name="one_delivery_per_event_and_destination"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} to {self.destination}"
