"""Wallboards and the display tokens that let a TV show one without a login."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from connectmetrics.catalogue import DEFAULT_METRICS, METRICS
from connectmetrics.models import QueueFilter
from dashboard.framing import parse_origins, validate_frame_origins
from dashboard.lib.tokens import HashedToken


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
        if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
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


class DisplayToken(HashedToken):
    """Lets one TV show one wallboard (and its rotation) without a login."""

    wallboard = models.ForeignKey(
        Wallboard, on_delete=models.CASCADE, related_name="display_tokens"
    )
    label = models.CharField(max_length=100, help_text="Where the screen is, e.g. 'Floor 2 TV'.")
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["wallboard", "label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    @classmethod
    def issue(cls, wallboard: Wallboard, label: str) -> tuple["DisplayToken", str]:
        """Make a token; the raw value is returned once and never stored."""
        token = cls(wallboard=wallboard, label=label)
        raw = token.give_secret()
        token.save()
        return token, raw


__all__ = ["DisplayToken", "Layout", "Theme", "Wallboard"]
