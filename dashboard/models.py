"""Wallboards, the panels they are made of, and the display tokens that let a TV
show one without a login.

A wallboard is an ordered list of panels; each panel shows one source of any
kind (a queue filter, an agent source, a today source) in a layout, with its own columns.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from connectmetrics.agents.models import AgentSource
from connectmetrics.connectapi.catalogue import DEFAULT_METRICS, METRICS
from connectmetrics.models import QueueFilter
from connectmetrics.sources.key import SourceKey
from connectmetrics.today.models import TodaySource
from dashboard.framing import parse_origins, validate_frame_origins
from dashboard.lib.tokens import HashedToken


def default_columns() -> list[str]:
    return list(DEFAULT_METRICS)


PANEL_TITLE_LENGTH = 100


class Layout(models.TextChoices):
    TABLE = "table", "Table"
    TILES = "tiles", "Tiles"
    AGENTS = "agents", "Agent grid"
    TODAY = "today", "Today's KPIs"


# The layouts that show each kind of source; the first is the default.
QUEUE_FILTER_LAYOUTS = (Layout.TILES, Layout.TABLE)
AGENT_SOURCE_LAYOUTS = (Layout.AGENTS,)
TODAY_SOURCE_LAYOUTS = (Layout.TODAY,)


class Theme(models.TextChoices):
    DARK = "dark", "Dark"
    LIGHT = "light", "Light"


class Wallboard(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=100)
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

    def add_panel(
        self,
        source: QueueFilter | AgentSource | TodaySource,
        *,
        title: str = "",
        layout: str | None = None,
        columns: list[str] | None = None,
    ) -> "Panel":
        """A panel after this wallboard's last one, checked as the admin checks it;
        its columns by default every metric a queue filter fetches."""
        last = self.panels.aggregate(models.Max("position"))["position__max"]
        panel = Panel(wallboard=self, position=0 if last is None else last + 1, title=title)
        if isinstance(source, QueueFilter):
            panel.queue_filter = source
            panel.layout = layout or QUEUE_FILTER_LAYOUTS[0]
            panel.columns = list(columns if columns is not None else source.metrics)
        elif isinstance(source, AgentSource):
            panel.agent_source = source
            panel.layout = layout or AGENT_SOURCE_LAYOUTS[0]
            panel.columns = list(columns or [])
        else:
            panel.today_source = source
            panel.layout = layout or TODAY_SOURCE_LAYOUTS[0]
            panel.columns = []
        panel.full_clean()
        panel.save()
        return panel

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


class Panel(models.Model):
    """One part of a wallboard: a source shown in a layout, with its own columns.

    The source is one field per kind (`queue_filter`, `agent_source`, `today_source`), exactly one
    of them set; `source_key` names it as the poller does, and the socket routes
    a source's snapshots and updates to the panels that show it.
    """

    wallboard = models.ForeignKey(Wallboard, on_delete=models.CASCADE, related_name="panels")
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Panels are shown in this order, lowest first."
    )
    title = models.CharField(
        max_length=PANEL_TITLE_LENGTH,
        blank=True,
        help_text="Shown above the panel when the wallboard has several. Empty: the source's name.",
    )
    queue_filter = models.ForeignKey(
        QueueFilter, on_delete=models.PROTECT, related_name="panels", null=True, blank=True
    )
    agent_source = models.ForeignKey(
        AgentSource, on_delete=models.PROTECT, related_name="panels", null=True, blank=True
    )
    today_source = models.ForeignKey(
        TodaySource, on_delete=models.PROTECT, related_name="panels", null=True, blank=True
    )
    layout = models.CharField(
        max_length=10,
        choices=Layout.choices,
        default=Layout.TILES,
        help_text="How the TV view shows it; the supervisor view shows a queue filter as a "
        "table. An agent source is always an agent grid, a today source today's KPIs.",
    )
    columns = models.JSONField(
        default=default_columns,
        blank=True,
        help_text="The metrics a queue filter's panel shows, in this order.",
    )

    # The source fields, one per kind: exactly one is set.
    SOURCE_FIELDS = ("queue_filter", "agent_source", "today_source")

    class Meta:
        ordering = ["wallboard", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        queue_filter__isnull=False,
                        agent_source__isnull=True,
                        today_source__isnull=True,
                    )
                    | models.Q(
                        queue_filter__isnull=True,
                        agent_source__isnull=False,
                        today_source__isnull=True,
                    )
                    | models.Q(
                        queue_filter__isnull=True,
                        agent_source__isnull=True,
                        today_source__isnull=False,
                    )
                ),
                name="panel_shows_exactly_one_source",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"Panel {self.position}"

    @property
    def source_key(self) -> SourceKey:
        if self.agent_source_id is not None:
            return AgentSource.source_key_of(self.agent_source_id)
        if self.today_source_id is not None:
            return TodaySource.source_key_of(self.today_source_id)
        assert self.queue_filter_id is not None
        return QueueFilter.source_key_of(self.queue_filter_id)

    def clean(self) -> None:
        chosen = [f for f in self.SOURCE_FIELDS if getattr(self, f"{f}_id") is not None]
        if len(chosen) != 1:
            message = (
                "Choose exactly one source: a queue filter, an agent source or a today source."
            )
            raise ValidationError({field: message for field in self.SOURCE_FIELDS})
        if self.agent_source_id is not None:
            self._clean_agent_panel()
        elif self.today_source_id is not None:
            self._clean_today_panel()
        else:
            self._clean_queue_panel()

    def _clean_agent_panel(self) -> None:
        assert self.agent_source is not None
        if self.layout not in AGENT_SOURCE_LAYOUTS:
            raise ValidationError({"layout": "An agent source is shown as an agent grid."})
        self.columns = []  # an agent grid shows cards, not metric columns
        if not self.title:
            self.title = self.agent_source.name[:PANEL_TITLE_LENGTH]

    def _clean_today_panel(self) -> None:
        assert self.today_source is not None
        if self.layout not in TODAY_SOURCE_LAYOUTS:
            raise ValidationError({"layout": "A today source is shown as today's KPIs."})
        self.columns = []  # the KPI panel shows its own figures
        if not self.title:
            self.title = self.today_source.name[:PANEL_TITLE_LENGTH]

    def _clean_queue_panel(self) -> None:
        assert self.queue_filter is not None
        if self.layout not in QUEUE_FILTER_LAYOUTS:
            raise ValidationError({"layout": "A queue filter is shown as tiles or a table."})
        if not isinstance(self.columns, list) or not self.columns:
            raise ValidationError({"columns": "Choose at least one metric to show."})
        unknown = [c for c in self.columns if c not in METRICS]
        if unknown:
            raise ValidationError({"columns": f"Unknown metrics: {', '.join(map(str, unknown))}."})
        if not self.title:
            self.title = self.queue_filter.name[:PANEL_TITLE_LENGTH]
        missing = [c for c in self.columns if c not in self.queue_filter.metrics]
        if missing:
            labels = ", ".join(METRICS[c].label for c in missing)
            raise ValidationError(
                {"columns": f"The queue filter does not fetch these metrics: {labels}."}
            )


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


__all__ = ["DisplayToken", "Layout", "Panel", "Theme", "Wallboard"]
