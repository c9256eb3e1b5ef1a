"""What an admin configures: Connect instances, their queues and routing
profiles, the queue filters kept live, and thresholds on them.

No AWS secret key is ever stored here: real instances use boto3's default
credential chain or an assumed role.
"""

from datetime import timedelta
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import (
    DEFAULT_METRICS,
    METRIC_NAMES,
    METRICS,
    Channel,
    Grouping,
    SortOrder,
)
from connectmetrics.connectapi.regions import connect_regions
from connectmetrics.models.access_memo import AccessQuerySet, remembered
from connectmetrics.sources.polled import PolledSource
from connectmetrics.wire.filter_request import build_request
from connectmetrics.wire.thresholds import Band, Direction, band_error
from dashboard.lib.tokens import Credential, HashedToken


def validate_region(value: str) -> None:
    if value not in connect_regions():
        raise ValidationError(
            f"{value!r} is not a Region where Amazon Connect is available "
            f"({', '.join(connect_regions())})."
        )


def validate_role_arn(value: str) -> None:
    parts = value.split(":")
    if (
        len(parts) != 6
        or parts[0] != "arn"
        or parts[2] != "iam"
        or not parts[5].startswith("role/")
    ):
        raise ValidationError("A role ARN looks like arn:aws:iam::123456789012:role/Name.")
    if not (parts[4].isdigit() and len(parts[4]) == 12):
        raise ValidationError("The role ARN's account must be 12 digits.")


def validate_time_zone(value: str) -> None:
    """An IANA time zone name, as GetMetricDataV2's Interval.TimeZone takes it."""
    if value not in available_timezones():
        raise ValidationError(
            f"{value!r} is not an IANA time zone name, such as Europe/London or America/New_York."
        )


def validate_service_level_threshold(value: int) -> None:
    """GetMetricDataV2's SERVICE_LEVEL threshold: whole seconds, within the limit its rules
    (the simulated centre's, connectmetrics/simulator/metric_data_request.py) state."""
    from connectmetrics.simulator.metric_data_request import MAX_THRESHOLD

    if not 1 <= value <= MAX_THRESHOLD:
        raise ValidationError(f"A service-level threshold is 1 to {MAX_THRESHOLD} seconds.")


def service_level_threshold_field(**options: Any) -> "models.PositiveIntegerField[Any, Any]":
    return models.PositiveIntegerField(
        "service-level threshold (seconds)",
        validators=[validate_service_level_threshold],
        **options,
    )


def service_level_target_field(**options: Any) -> "models.PositiveSmallIntegerField[Any, Any]":
    return models.PositiveSmallIntegerField(
        "service-level target (%)",
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        **options,
    )


def default_metrics() -> list[str]:
    return list(DEFAULT_METRICS)


class AccessMode(models.TextChoices):
    DEFAULT_CHAIN = "default_chain", "AWS default credential chain"
    ASSUME_ROLE = "assume_role", "Assume an IAM role"
    SIMULATED = "simulated", "Simulated contact centre (no AWS account)"


class ConnectInstanceQuerySet(AccessQuerySet):
    # What the poller records about its polls: no access decision reads it.
    quiet = frozenset(
        {"last_success_at", "last_error_at", "last_error_class", "last_error_message"}
    )


class CredentialQuerySet(AccessQuerySet):
    quiet = frozenset({"last_used_at"})


class ConnectInstance(models.Model):
    name = models.CharField(max_length=100, unique=True)
    region = models.CharField(max_length=32, validators=[validate_region], default="eu-west-2")
    instance_id = models.CharField(
        "instance ID", max_length=100, help_text="The instance ID (a UUID)."
    )
    instance_arn = models.CharField("instance ARN", max_length=200, blank=True)
    access_mode = models.CharField(
        max_length=20, choices=AccessMode.choices, default=AccessMode.DEFAULT_CHAIN
    )
    role_arn = models.CharField(
        "role ARN", max_length=200, blank=True, validators=[validate_role_arn]
    )
    external_id = models.CharField("external ID", max_length=1224, blank=True)
    simulator_seed = models.PositiveIntegerField(default=7)
    simulator_queues = models.PositiveIntegerField(
        default=20, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    simulator_agents = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    poll_interval = models.PositiveIntegerField(
        "poll interval (seconds)", default=5, validators=[MinValueValidator(1)]
    )
    enabled = models.BooleanField(default=True)
    # Defaults in the database too: a process still running the code before these fields
    # (a rolling deploy, an older migration's model) can still add an instance.
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        db_default="UTC",
        validators=[validate_time_zone],
        help_text="The centre's time zone (an IANA name such as Europe/London): today's "
        "figures run from midnight here.",
    )
    service_level_threshold = service_level_threshold_field(
        default=20,
        db_default=20,
        help_text="A contact answered within this many seconds counts towards the service "
        "level; a today source may set its own per queue.",
    )
    service_level_target = service_level_target_field(
        default=80,
        db_default=80,
        help_text="The share of contacts to answer within the threshold.",
    )

    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error_class = models.CharField(max_length=100, blank=True, editable=False)
    last_error_message = models.TextField(blank=True, editable=False)

    objects = ConnectInstanceQuerySet.as_manager()

    class Meta:
        verbose_name = "Connect instance"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def account_id(self) -> str:
        """The AWS account, when the configuration tells it."""
        for arn in (self.instance_arn, self.role_arn):
            parts = arn.split(":")
            if len(parts) >= 5 and parts[4]:
                return parts[4]
        return ""

    def connection_identity(self) -> tuple[object, ...]:
        """Everything that decides which contact centre answers and how it is reached:
        a change to any of it gives the instance a new client and ends its backoff."""
        return (
            self.access_mode,
            self.region,
            self.instance_id,
            self.role_arn,
            self.external_id,
            self.simulator_seed,
            self.simulator_queues,
            self.simulator_agents,
        )

    def known_account_id(self) -> str:
        """The AWS account: the configuration's, else the one in the ARN of a queue or
        routing profile discovery found ("" before discovery, with no ARN configured)."""
        if self.account_id:
            return self.account_id
        for catalogue in (self.queues, self.routing_profiles):
            arn = catalogue.exclude(arn="").values_list("arn", flat=True).first()
            parts = (arn or "").split(":")
            if len(parts) >= 5 and parts[4]:
                return parts[4]
        return ""

    def resource_arn(self) -> str:
        """The instance ARN GetMetricDataV2 asks for: the configured one, else built from
        the account discovery found ("" when the account is not known yet)."""
        if self.instance_arn:
            return self.instance_arn
        account = self.known_account_id()
        if not account:
            return ""
        return f"arn:aws:connect:{self.region}:{account}:instance/{self.instance_id}"

    @property
    def quota_key(self) -> str:
        """Which shared API quota this instance spends: one per account and Region."""
        if self.access_mode == AccessMode.SIMULATED:
            return f"simulated-{self.simulator_seed}:{self.region}"
        return f"{self.account_id or 'default-chain'}:{self.region}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.access_mode == AccessMode.ASSUME_ROLE and not self.role_arn:
            errors["role_arn"] = "An assumed-role instance needs the role ARN to assume."
        if self.access_mode != AccessMode.ASSUME_ROLE and self.external_id:
            errors["external_id"] = "An external ID is only used with an assumed role."
        if self.instance_arn:
            region = self.instance_arn.split(":")[3] if self.instance_arn.count(":") >= 5 else ""
            if region and self.region and region != self.region:
                errors["region"] = f"The instance ARN is in {region}, not {self.region}."
        if errors:
            raise ValidationError(errors)


class Queue(models.Model):
    instance = models.ForeignKey(ConnectInstance, on_delete=models.CASCADE, related_name="queues")
    queue_id = models.CharField("queue ID", max_length=100)
    arn = models.CharField("ARN", max_length=250, blank=True)
    name = models.CharField(max_length=256)
    queue_type = models.CharField(max_length=20, default="STANDARD")

    class Meta:
        ordering = ["instance", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "queue_id"], name="unique_queue_per_instance"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RoutingProfile(models.Model):
    instance = models.ForeignKey(
        ConnectInstance, on_delete=models.CASCADE, related_name="routing_profiles"
    )
    routing_profile_id = models.CharField("routing profile ID", max_length=100)
    arn = models.CharField("ARN", max_length=250, blank=True)
    name = models.CharField(max_length=256)

    class Meta:
        ordering = ["instance", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "routing_profile_id"],
                name="unique_routing_profile_per_instance",
            )
        ]

    def __str__(self) -> str:
        return self.name


GROUPING_CHOICES = [(g.value, g.value.replace("_", " ").capitalize()) for g in Grouping]
CHANNEL_CHOICES = [(c.value, c.value.capitalize()) for c in Channel]
METRIC_CHOICES = [(name, f"{METRICS[name].label} ({name})") for name in METRIC_NAMES]
SORT_ORDER_CHOICES = [(o.value, o.value.capitalize()) for o in SortOrder]


class QueueFilter(PolledSource):
    """One GetCurrentMetricData request kept live by the poller."""

    name = models.CharField(max_length=100)
    instance = models.ForeignKey(
        ConnectInstance, on_delete=models.CASCADE, related_name="queue_filters"
    )
    queues = models.ManyToManyField(Queue, blank=True, related_name="queue_filters")
    routing_profiles = models.ManyToManyField(
        RoutingProfile, blank=True, related_name="queue_filters"
    )
    channels = models.JSONField(default=list, blank=True)
    primary_grouping = models.CharField(
        max_length=32, choices=GROUPING_CHOICES, blank=True, default=Grouping.QUEUE
    )
    secondary_grouping = models.CharField(max_length=32, choices=GROUPING_CHOICES, blank=True)
    metrics = models.JSONField(default=default_metrics)
    sort_metric = models.CharField(max_length=40, choices=METRIC_CHOICES, blank=True)
    sort_order = models.CharField(
        max_length=10, choices=SORT_ORDER_CHOICES, default=SortOrder.DESCENDING
    )

    class Meta:
        ordering = ["instance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "name"], name="unique_filter_name")
        ]

    def __str__(self) -> str:
        return f"{self.instance} / {self.name}"

    SOURCE_KIND = "queue_filter"

    @property
    def groupings(self) -> list[str]:
        return [g for g in (self.primary_grouping, self.secondary_grouping) if g]

    def to_request(self) -> dict[str, Any]:
        """The GetCurrentMetricData request (without InstanceId) this filter stands for."""
        return build_request(
            queue_ids=self.queues.values_list("queue_id", flat=True),
            routing_profile_ids=self.routing_profiles.values_list("routing_profile_id", flat=True),
            channels=self.channels,
            groupings=self.groupings,
            metrics=self.metrics,
            sort_metric=self.sort_metric,
            sort_order=self.sort_order,
        )

    def canonical_request(self) -> dict[str, Any]:
        return rules.canonical_request(self.to_request())


class Threshold(models.Model):
    queue_filter = models.ForeignKey(
        QueueFilter, on_delete=models.CASCADE, related_name="thresholds"
    )
    metric = models.CharField(max_length=40, choices=METRIC_CHOICES)
    queue = models.ForeignKey(
        Queue,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text="Only this queue; leave empty for every row.",
    )
    warning = models.FloatField()
    critical = models.FloatField()
    direction = models.CharField(
        max_length=20,
        choices=[
            (Direction.HIGHER_IS_WORSE.value, "Higher is worse"),
            (Direction.LOWER_IS_WORSE.value, "Lower is worse"),
        ],
        default=Direction.HIGHER_IS_WORSE,
    )

    class Meta:
        ordering = ["queue_filter", "metric"]

    def __str__(self) -> str:
        scope = self.queue.name if self.queue is not None else "every row"
        return f"{METRICS[self.metric].label if self.metric in METRICS else self.metric} ({scope})"

    @property
    def band(self) -> Band:
        return Band(self.warning, self.critical, Direction(self.direction))

    def clean(self) -> None:
        errors: dict[str, str] = {}
        known_direction = self.direction in {d.value for d in Direction}
        if self.warning is not None and self.critical is not None and known_direction:
            problem = band_error(self.warning, self.critical, Direction(self.direction))
            if problem:
                errors["critical"] = problem
        # In the admin the queue filter may not be saved yet: use the object, not its ID.
        try:
            queue_filter = self.queue_filter
        except QueueFilter.DoesNotExist:
            queue_filter = None
        if queue_filter is not None and self.metric:
            if self.metric not in queue_filter.metrics:
                errors["metric"] = "This queue filter does not fetch that metric."
            if self.queue is not None and self.queue.instance_id != queue_filter.instance_id:
                errors["queue"] = "That queue belongs to another Connect instance."
        if errors:
            raise ValidationError(errors)


class InstanceScopedCredential(models.Model):
    """What every credential another tool reads with has besides being a credential
    (dashboard.lib.tokens): a name, the instances it may read, and when it was last
    used (ApiToken, AwsAccessKey)."""

    name = models.CharField(max_length=100, help_text="Who uses it, e.g. 'Workforce tool'.")
    all_instances = models.BooleanField(
        "every instance",
        default=False,
        help_text="Read every Connect instance, including ones added later.",
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Each kind declares its own `instances` (a ManyToManyField to ConnectInstance).
    instances: "models.ManyToManyField[ConnectInstance, Any]"

    objects = CredentialQuerySet.as_manager()

    class Meta:
        abstract = True

    def may_read(self, instance: ConnectInstance) -> bool:
        if self.all_instances:
            return True
        through = type(self).instances.through

        def allowed() -> bool:
            # The join table alone answers it.
            return through.objects.filter(
                **{f"{self._meta.model_name}_id": self.pk, "connectinstance_id": instance.pk}
            ).exists()

        return remembered(("may read", self._meta.label, self.pk, instance.pk), allowed)

    def note_use(self) -> None:
        """Record that it was used now, to the minute: for an admin deciding which are
        still in use, without a busy caller writing on every request."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_PRECISION:
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


LAST_USED_PRECISION = timedelta(minutes=1)


class ApiToken(InstanceScopedCredential, HashedToken):
    """Lets another tool (a chat bot, a workforce tool, a BI job) read live metrics.

    The secret is shown once when made and stored only as its SHA-256; `prefix`
    (its first characters) tells an admin which token is which.
    """

    instances = models.ManyToManyField(
        ConnectInstance,
        blank=True,
        related_name="api_tokens",
        help_text="The Connect instances this token may read (unless 'every instance').",
    )

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AwsAccessKey(InstanceScopedCredential, Credential):
    """An access key ID and secret for AWS SDKs and the AWS CLI (the drop-in endpoint, /aws/).

    Signature Version 4 needs the secret itself to check a signature, so it cannot
    be kept as a hash: it is kept encrypted with a key derived from SECRET_KEY
    (connectmetrics.awsapi.keys), so a database dump alone reveals no usable secret.
    """

    access_key_id = models.CharField("access key ID", max_length=20, unique=True, editable=False)
    encrypted_secret = models.TextField(editable=False)
    instances = models.ManyToManyField(
        ConnectInstance,
        blank=True,
        related_name="aws_access_keys",
        help_text="The Connect instances this key may read (unless 'every instance').",
    )

    class Meta:
        verbose_name = "AWS access key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.access_key_id})"
