"""python manage.py seed_demo: a simulated contact centre with wallboards, ready to look at.

Idempotent: a second run reuses the instance, filters, thresholds, wallboards
and admin user it finds, and only issues a new display token (a token's raw
value is stored hashed, so the old URL cannot be printed again; it keeps working).
"""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from connectmetrics import rules
from connectmetrics.alerts.models import AlertRule, Destination, DestinationKind
from connectmetrics.catalogue import DEFAULT_METRICS, SIMULATED_INSTANCE_ID, SortOrder
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter, Threshold
from connectmetrics.outcomes import UpstreamError
from connectmetrics.thresholds import Direction
from dashboard.models import DisplayToken, Layout, Wallboard

INSTANCE_NAME = "Demo contact centre (simulated)"
CHANNELS = ["VOICE", "CHAT", "TASK"]
ADMIN_USERNAME = "admin"

# (metric, warning, critical, direction): chosen so the simulated centre breaches some.
EVERY_ROW_THRESHOLDS = [
    ("CONTACTS_IN_QUEUE", 2.0, 4.0, Direction.HIGHER_IS_WORSE),
    ("OLDEST_CONTACT_AGE", 90.0, 180.0, Direction.HIGHER_IS_WORSE),
    ("AGENTS_AVAILABLE", 2.0, 0.0, Direction.LOWER_IS_WORSE),
]
# A stricter threshold for one queue shows per-queue thresholds at work.
VIP_QUEUE = "VIP"
VIP_THRESHOLD = ("CONTACTS_IN_QUEUE", 1.0, 2.0, Direction.HIGHER_IS_WORSE)
# An alert rule the simulated centre raises and clears within a few minutes, by e-mail
# (`make demo` prints mails on its console).
ALERT_RULE = "Demo: contacts waiting"
ALERT_EMAIL = "duty-manager@example.com"

BY_CHANNEL_METRICS = [
    "AGENTS_ON_CONTACT",
    "AGENTS_AVAILABLE",
    "CONTACTS_IN_QUEUE",
    "OLDEST_CONTACT_AGE",
]


class Command(BaseCommand):
    help = "Create (or reuse) a simulated contact centre, queue filters, thresholds and wallboards."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--admin-password",
            help="Password for the 'admin' user (set even if the user exists). "
            "Default: a random one, printed once when the user is made.",
        )
        parser.add_argument("--host", default="127.0.0.1", help="Host for the printed URLs.")
        parser.add_argument("--port", type=int, default=8000, help="Port for the printed URLs.")

    def handle(self, *args: Any, **options: Any) -> None:
        instance = self._instance()
        try:
            found = discover(instance)
        except UpstreamError as error:
            raise CommandError(
                f"Could not list the simulated queues: {error.description}"
            ) from error
        with transaction.atomic():
            all_queues = self._all_queues_filter(instance)
            by_channel = self._by_channel_filter(instance)
            demo = self._wallboard(
                "demo",
                "Contact centre: all queues",
                all_queues,
                list(DEFAULT_METRICS),
                Layout("tiles"),
            )
            second = self._wallboard(
                "demo-channels",
                "Queues by channel",
                by_channel,
                BY_CHANNEL_METRICS,
                Layout("table"),
            )
            demo.rotation.add(second)
            second.rotation.add(demo)
            self._alert_rule(all_queues, f"http://{options['host']}:{options['port']}")
            login = self._admin(options["admin_password"])
            _, raw_token = DisplayToken.issue(demo, "Demo TV (seed_demo)")

        base = f"http://{options['host']}:{options['port']}"
        tv = reverse("wallboard-tv", args=[demo.slug])
        self.stdout.write(f"{instance.name}: {found.describe()}")
        self.stdout.write(
            "Queue filters: "
            + ", ".join(f"{f.name!r} ({f.queues.count()} queues)" for f in (all_queues, by_channel))
        )
        self.stdout.write(login)
        self.stdout.write(f"Admin:           {base}{reverse('admin:index')}")
        self.stdout.write(
            f"Supervisor view: {base}{reverse('wallboard-supervisor', args=[demo.slug])}"
        )
        self.stdout.write(f"TV view:         {base}{tv}?token={raw_token}")

    def _instance(self) -> ConnectInstance:
        instance = (
            ConnectInstance.objects.filter(
                access_mode=AccessMode.SIMULATED, instance_id=SIMULATED_INSTANCE_ID
            ).first()
            or ConnectInstance.objects.filter(name=INSTANCE_NAME).first()
        )
        if instance is None:
            instance = ConnectInstance.objects.create(
                name=INSTANCE_NAME,
                region="eu-west-2",
                instance_id=SIMULATED_INSTANCE_ID,
                access_mode=AccessMode.SIMULATED,
                simulator_seed=7,
                simulator_queues=20,
                simulator_agents=300,
                poll_interval=5,
            )
        return instance

    def _queue_filter(
        self, instance: ConnectInstance, name: str, groupings: list[str], metrics: list[str]
    ) -> QueueFilter:
        queue_filter, created = QueueFilter.objects.get_or_create(
            instance=instance,
            name=name,
            defaults={
                "channels": CHANNELS,
                "primary_grouping": groupings[0],
                "secondary_grouping": groupings[1] if len(groupings) > 1 else "",
                "metrics": metrics,
                "sort_metric": "CONTACTS_IN_QUEUE",
                "sort_order": SortOrder.DESCENDING,
            },
        )
        if created:
            queue_filter.queues.set(instance.queues.filter(queue_type="STANDARD"))
        problems = rules.check_request(
            {**queue_filter.to_request(), "InstanceId": instance.instance_id}
        )
        if problems:
            raise CommandError(
                f"Queue filter {name!r} would be refused by Amazon Connect: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems)
            )
        return queue_filter

    def _all_queues_filter(self, instance: ConnectInstance) -> QueueFilter:
        queue_filter = self._queue_filter(instance, "All queues", ["QUEUE"], list(DEFAULT_METRICS))
        self._thresholds(queue_filter)
        vip = instance.queues.filter(name=VIP_QUEUE).first()
        if vip is not None:
            metric, warning, critical, direction = VIP_THRESHOLD
            Threshold.objects.get_or_create(
                queue_filter=queue_filter,
                metric=metric,
                queue=vip,
                defaults={"warning": warning, "critical": critical, "direction": direction},
            )
        return queue_filter

    def _by_channel_filter(self, instance: ConnectInstance) -> QueueFilter:
        queue_filter = self._queue_filter(
            instance, "Queues by channel", ["QUEUE", "CHANNEL"], BY_CHANNEL_METRICS
        )
        self._thresholds(queue_filter)
        return queue_filter

    def _thresholds(self, queue_filter: QueueFilter) -> None:
        for metric, warning, critical, direction in EVERY_ROW_THRESHOLDS:
            if metric in queue_filter.metrics:
                Threshold.objects.get_or_create(
                    queue_filter=queue_filter,
                    metric=metric,
                    queue=None,
                    defaults={"warning": warning, "critical": critical, "direction": direction},
                )

    def _alert_rule(self, queue_filter: QueueFilter, base: str) -> None:
        threshold = queue_filter.thresholds.get(metric="CONTACTS_IN_QUEUE", queue=None)
        email, _ = Destination.objects.get_or_create(
            name="Demo e-mail", defaults={"kind": DestinationKind.EMAIL, "email_to": ALERT_EMAIL}
        )
        rule, created = AlertRule.objects.get_or_create(
            name=ALERT_RULE,
            defaults={
                "threshold": threshold,
                "raise_after": 20,
                "clear_after": 20,
                "link": base + reverse("wallboard-supervisor", args=["demo"]),
            },
        )
        if created:
            rule.destinations.add(email)

    def _wallboard(
        self,
        slug: str,
        title: str,
        queue_filter: QueueFilter,
        columns: list[str],
        layout: str,
    ) -> Wallboard:
        wallboard, _ = Wallboard.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "queue_filter": queue_filter,
                "columns": columns,
                "layout": layout,
            },
        )
        return wallboard

    def _admin(self, password: str | None) -> str:
        users = get_user_model()
        user = users.objects.filter(username=ADMIN_USERNAME).first()
        if user is None:
            chosen = password or secrets.token_urlsafe(12)
            users.objects.create_superuser(ADMIN_USERNAME, "", chosen)
            shown = chosen if password is None else "(the password you gave)"
            return (
                f"Admin login:     {ADMIN_USERNAME} / {shown}   "
                "(shown only now; keep it somewhere safe)"
            )
        if password is not None:
            user.set_password(password)
            user.save(update_fields=["password"])
            return f"Admin login:     {ADMIN_USERNAME} / (the password you gave; updated)"
        return (
            f"Admin login:     the user {ADMIN_USERNAME!r} exists; its password was printed when "
            f"it was made. To set a new one: python manage.py changepassword {ADMIN_USERNAME}"
        )
