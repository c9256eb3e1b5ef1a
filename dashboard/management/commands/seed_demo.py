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
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from connectmetrics.agents import directory
from connectmetrics.agents import rules as agent_rules
from connectmetrics.agents.models import AgentSource, Resource
from connectmetrics.alerts.models import AlertRule, Destination, DestinationKind
from connectmetrics.client.outcomes import UpstreamError
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import DEFAULT_METRICS, SIMULATED_INSTANCE_ID, SortOrder
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance, Queue, QueueFilter, Threshold
from connectmetrics.today import rules as today_rules
from connectmetrics.today.models import TodayQueue, TodaySource
from connectmetrics.wire.thresholds import Direction
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
# Contacts seldom wait at night (the simulated centre runs at 15% of its peak load), but
# agents' states change at any hour: a threshold on the available agents of a queue open day
# and night, and a second rule on it, raise and clear at night too (docs/alerts.md).
STAFFING_QUEUE = "Fraud"
STAFFING_THRESHOLD = ("AGENTS_AVAILABLE", 7.0, 3.0, Direction.LOWER_IS_WORSE)
STAFFING_RULE = "Demo: Fraud short of agents"

# The demo TV's second panel: the queues a duty manager watches most closely.
PRIORITY_QUEUES = ["VIP", "Fraud", "Complaints", "Claims"]
PRIORITY_METRICS = ["AGENTS_AVAILABLE", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE"]

# The agents wallboard: the whole floor's agents beside the centre's totals.
AGENTS_SLUG = "agents"
FLOOR_SOURCE = "Whole floor"
TOTALS_METRICS = [
    "CONTACTS_IN_QUEUE",
    "OLDEST_CONTACT_AGE",
    "AGENTS_ONLINE",
    "AGENTS_AVAILABLE",
    "AGENTS_ON_CONTACT",
    "AGENTS_AFTER_CONTACT_WORK",
]

# The today wallboard: today's service level and counts for the demo queues beside the
# live queue totals. The demo centre's day: the service level is answered within 2
# minutes, 50% the target (the simulated centre is busy: about a third of its callers
# abandon at midday). Queue: (threshold in seconds, target %), None: the centre's. Chosen
# so the wall shows each standing: back-office tasks within hours, the VIP line within 5
# minutes, Customer Care held to 80% within a minute.
TODAY_SLUG = "today"
TODAY_SOURCE = "Today: demo queues"
DEMO_TIME_ZONE = "Europe/London"
DEMO_SERVICE_LEVEL = (120, 50)
TODAY_QUEUES: dict[str, tuple[int, int] | None] = {
    "VIP": (300, 60),
    "Fraud": (120, 65),
    "Complaints": None,
    "Claims": None,
    "Sales": None,
    "Billing": None,
    "Customer Care": (60, 80),
    "Back Office": (4 * 3600, 95),
}

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
            priority = self._priority_filter(instance)
            demo = self._wallboard(
                "demo",
                "Contact centre: all queues",
                [
                    (all_queues, list(DEFAULT_METRICS), Layout.TILES),
                    (priority, PRIORITY_METRICS, Layout.TILES),
                ],
            )
            second = self._wallboard(
                "demo-channels",
                "Queues by channel",
                [(by_channel, BY_CHANNEL_METRICS, Layout.TABLE)],
            )
            demo.rotation.add(second)
            second.rotation.add(demo)
            totals = self._totals_filter(instance)
            agents = self._wallboard(
                AGENTS_SLUG, "Agents on the floor", [(totals, TOTALS_METRICS, Layout.TILES)]
            )
            floor = self._floor_source(instance)
            if not agents.panels.filter(agent_source=floor).exists():
                agents.add_panel(floor)
            today = self._wallboard(
                TODAY_SLUG, "Today's performance", [(totals, TOTALS_METRICS, Layout.TILES)]
            )
            day = self._today_source(instance)
            if not today.panels.filter(today_source=day).exists():
                today.add_panel(day, title="Today since midnight")
            self._alert_rules(all_queues, f"http://{options['host']}:{options['port']}")
            login = self._admin(options["admin_password"])
            _, raw_token = DisplayToken.issue(demo, "Demo TV (seed_demo)")
            _, agents_token = DisplayToken.issue(agents, "Agents TV (seed_demo)")
            _, today_token = DisplayToken.issue(today, "Today TV (seed_demo)")
        try:
            directory.refresh(instance)  # the agents' names, at once rather than within a minute
        except UpstreamError as error:
            raise CommandError(f"Could not read the agents' names: {error.description}") from error

        base = f"http://{options['host']}:{options['port']}"
        tv = reverse("wallboard-tv", args=[demo.slug])
        self.stdout.write(f"{instance.name}: {found.describe()}")
        self.stdout.write(
            "Queue filters: "
            + ", ".join(
                f"{f.name!r} ({f.queues.count()} queues)"
                for f in (all_queues, by_channel, priority)
            )
        )
        self.stdout.write(login)
        self.stdout.write(f"Admin:           {base}{reverse('admin:index')}")
        self.stdout.write(
            f"Supervisor view: {base}{reverse('wallboard-supervisor', args=[demo.slug])}"
        )
        self.stdout.write(f"TV view:         {base}{tv}?token={raw_token}")
        agents_tv = reverse("wallboard-tv", args=[AGENTS_SLUG])
        self.stdout.write(f"Agents TV view:  {base}{agents_tv}?token={agents_token}")
        today_tv = reverse("wallboard-tv", args=[TODAY_SLUG])
        self.stdout.write(f"Today TV view:   {base}{today_tv}?token={today_token}")

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
                time_zone=DEMO_TIME_ZONE,
                service_level_threshold=DEMO_SERVICE_LEVEL[0],
                service_level_target=DEMO_SERVICE_LEVEL[1],
            )
        return instance

    def _queue_filter(
        self,
        instance: ConnectInstance,
        name: str,
        groupings: list[str],
        metrics: list[str],
        queues: "QuerySet[Queue] | None" = None,
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
            queue_filter.queues.set(
                instance.queues.filter(queue_type="STANDARD") if queues is None else queues
            )
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
        for name, (metric, warning, critical, direction) in (
            (VIP_QUEUE, VIP_THRESHOLD),
            (STAFFING_QUEUE, STAFFING_THRESHOLD),
        ):
            queue = instance.queues.filter(name=name).first()
            if queue is not None:
                Threshold.objects.get_or_create(
                    queue_filter=queue_filter,
                    metric=metric,
                    queue=queue,
                    defaults={"warning": warning, "critical": critical, "direction": direction},
                )
        return queue_filter

    def _by_channel_filter(self, instance: ConnectInstance) -> QueueFilter:
        queue_filter = self._queue_filter(
            instance, "Queues by channel", ["QUEUE", "CHANNEL"], BY_CHANNEL_METRICS
        )
        self._thresholds(queue_filter)
        return queue_filter

    def _priority_filter(self, instance: ConnectInstance) -> QueueFilter:
        queue_filter = self._queue_filter(
            instance,
            "Priority queues",
            ["QUEUE"],
            PRIORITY_METRICS,
            instance.queues.filter(name__in=PRIORITY_QUEUES),
        )
        self._thresholds(queue_filter)
        return queue_filter

    def _totals_filter(self, instance: ConnectInstance) -> QueueFilter:
        """The whole centre in one summary row (no grouping)."""
        queue_filter = self._queue_filter(instance, "Centre totals", [""], TOTALS_METRICS)
        self._thresholds(queue_filter)
        return queue_filter

    def _floor_source(self, instance: ConnectInstance) -> AgentSource:
        """Every agent of the centre: those of all its routing profiles."""
        source, created = AgentSource.objects.get_or_create(
            instance=instance, name=FLOOR_SOURCE, defaults={"resource": Resource.ROUTING_PROFILES}
        )
        if created:
            source.routing_profiles.set(instance.routing_profiles.all())
        problems = agent_rules.check_request(source.to_request())
        if problems:
            raise CommandError(
                f"Agent source {FLOOR_SOURCE!r} would be refused by Amazon Connect: "
                + "; ".join(p.message for p in problems)
            )
        return source

    def _today_source(self, instance: ConnectInstance) -> TodaySource:
        """Today's figures for the demo queues, each at its own threshold and target."""
        source, created = TodaySource.objects.get_or_create(instance=instance, name=TODAY_SOURCE)
        if created:
            for queue in instance.queues.filter(name__in=TODAY_QUEUES).order_by("name"):
                own = TODAY_QUEUES[queue.name]
                TodayQueue.objects.create(
                    source=source,
                    queue=queue,
                    service_level_threshold=own[0] if own else None,
                    service_level_target=own[1] if own else None,
                )
        problems = today_rules.check(source.plan(), timezone.now())
        if problems:
            raise CommandError(
                f"Today source {TODAY_SOURCE!r} would be refused by Amazon Connect: "
                + "; ".join(p.message for p in problems)
            )
        return source

    def _thresholds(self, queue_filter: QueueFilter) -> None:
        for metric, warning, critical, direction in EVERY_ROW_THRESHOLDS:
            if metric in queue_filter.metrics:
                Threshold.objects.get_or_create(
                    queue_filter=queue_filter,
                    metric=metric,
                    queue=None,
                    defaults={"warning": warning, "critical": critical, "direction": direction},
                )

    def _alert_rules(self, queue_filter: QueueFilter, base: str) -> None:
        email, _ = Destination.objects.get_or_create(
            name="Demo e-mail", defaults={"kind": DestinationKind.EMAIL, "email_to": ALERT_EMAIL}
        )
        watched = [
            (ALERT_RULE, queue_filter.thresholds.get(metric="CONTACTS_IN_QUEUE", queue=None))
        ]
        staffing = queue_filter.thresholds.filter(
            metric=STAFFING_THRESHOLD[0], queue__name=STAFFING_QUEUE
        ).first()
        if staffing is not None:
            watched.append((STAFFING_RULE, staffing))
        for name, threshold in watched:
            rule, created = AlertRule.objects.get_or_create(
                name=name,
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
        self, slug: str, title: str, panels: list[tuple[QueueFilter, list[str], Layout]]
    ) -> Wallboard:
        """The wallboard at `slug` with a panel of each of these queue filters: one
        it already shows keeps its panel as it is (an admin may have changed it)."""
        wallboard, _ = Wallboard.objects.get_or_create(slug=slug, defaults={"title": title})
        shown = set(wallboard.panels.values_list("queue_filter", flat=True)) - {None}
        for queue_filter, columns, layout in panels:
            if queue_filter.pk not in shown:
                wallboard.add_panel(queue_filter, layout=layout, columns=columns)
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
