"""Wallboards and the display tokens that let a TV show one without a login."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from connectmetrics.catalogue import DEFAULT_METRICS, METRICS
from connectmetrics.models import QueueFilter
from dashboard.framing import parse_origins, validate_frame_origins
from dashboard.tokens import hash_token, new_token


def default_columns() -> list[str]:
    return list(DEFAULT_METRICS)


class Layout(models.TextChoices):
    TABLE = "table", "Table"
    TILES = "tiles", "Tiles"


class Theme(models.TextChoices):
    DARK = "dark", "Dark"
    LIGHT = "light", "Light"


class Wallboard(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=100)
    queue_filter = models.ForeignKey(
        QueueFilter, on_delete=models.PROTECT, related_name="wallboards"
    )
    columns = models.JSONField(
        default=default_columns, help_text="The metrics shown, in this order."
    )
    layout = models.CharField(max_length=10, choices=Layout.choices, default=Layout.TILES)
    theme = models.CharField(max_length=10, choices=Theme.choices, default=Theme.DARK)
    ticker = models.CharField(
        max_length=280, blank=True, help_text="A line shown at the foot of every open screen."
    )
    sound_on_critical = models.BooleanField(
        default=False, help_text="Play a chime on the TV when a new critical breach appears."
    )
    rotation = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        help_text="Other wallboards the TV view rotates through after this one.",
    )
    rotation_seconds = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(3600)]
    )
    viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="wallboards"
    )
    viewer_groups = models.ManyToManyField(Group, blank=True, related_name="wallboards")
    frame_origins = models.TextField(
        blank=True,
        validators=[validate_frame_origins],
        help_text="Sites that may show the TV view inside a page of their own (a signage "
        "player), one origin a line, such as https://signage.example.com. Empty: none. "
        "The supervisor view can never be framed.",
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.frame_origins:
            self.frame_origins = "\n".join(parse_origins(self.frame_origins))
        if not isinstance(self.columns, list) or not self.columns:
            raise ValidationError({"columns": "Choose at least one metric to show."})
        unknown = [c for c in self.columns if c not in METRICS]
        if unknown:
            raise ValidationError({"columns": f"Unknown metrics: {', '.join(map(str, unknown))}."})
        if self.queue_filter_id:
            missing = [c for c in self.columns if c not in self.queue_filter.metrics]
            if missing:
                labels = ", ".join(METRICS[c].label for c in missing)
                raise ValidationError(
                    {"columns": f"The queue filter does not fetch these metrics: {labels}."}
                )

    def can_view(self, user: AbstractBaseUser | AnonymousUser) -> bool:
        if not user.is_authenticated or not user.is_active:
            return False
        if user.is_staff or user.is_superuser:
            return True
        return (
            self.viewers.filter(pk=user.pk).exists()
            or self.viewer_groups.filter(user=user).exists()
        )

    @classmethod
    def visible_to(cls, user: Any) -> "models.QuerySet[Wallboard]":
        if not user.is_authenticated or not user.is_active:
            return cls.objects.none()
        if user.is_staff or user.is_superuser:
            return cls.objects.all()
        return cls.objects.filter(
            models.Q(viewers=user) | models.Q(viewer_groups__user=user)
        ).distinct()


class DisplayToken(models.Model):
    wallboard = models.ForeignKey(
        Wallboard, on_delete=models.CASCADE, related_name="display_tokens"
    )
    label = models.CharField(max_length=100, help_text="Where the screen is, e.g. 'Floor 2 TV'.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=8, editable=False, help_text="The token's first characters."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["wallboard", "label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, wallboard: Wallboard, label: str) -> tuple["DisplayToken", str]:
        """Make a token; the raw value is returned once and never stored."""
        raw = new_token()
        token = cls.objects.create(
            wallboard=wallboard, label=label, token_hash=hash_token(raw), prefix=raw[:8]
        )
        return token, raw

    @classmethod
    def find(cls, wallboard: Wallboard, raw: str) -> "DisplayToken | None":
        """The active token of this wallboard with that raw value, if any."""
        if not raw or len(raw) > 200:
            return None
        return cls.objects.filter(
            wallboard=wallboard, token_hash=hash_token(raw), revoked_at__isnull=True
        ).first()

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


__all__ = ["DisplayToken", "Layout", "Theme", "Wallboard"]
