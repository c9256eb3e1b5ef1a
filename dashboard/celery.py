"""The Celery app: configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery

from connectmetrics.sources.registry import CHORES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every app's tasks module, and the poller's (connectmetrics/poller/tasks.py), which
# is a package of the connectmetrics app rather than an app of its own.
app.autodiscover_tasks()
app.autodiscover_tasks(["connectmetrics.poller"])

# Beat's only job: every second, enqueue the polls that are due. Each dispatch
# expires with its second, so a worker that fell behind never replays old ticks.
app.conf.beat_schedule = {
    "dispatch-due-polls": {
        "task": "connectmetrics.dispatch_due_polls",
        "schedule": 1.0,
        "options": {"expires": 1.0},
    },
    # Alert deliveries whose task was lost, and alert history past its days
    # (connectmetrics/alerts/tasks.py).
    "sweep-alert-deliveries": {
        "task": "alerts.sweep",
        "schedule": 15.0,
        "options": {"expires": 15.0},
    },
    "prune-alert-history": {"task": "alerts.prune", "schedule": 3600.0},
    # The source kinds' work besides their polls (the agent grid's names).
    **{
        f"chore {path}": {
            "task": "connectmetrics.run_chore",
            "schedule": seconds,
            "args": (path,),
            "options": {"expires": seconds},
        }
        for path, seconds in CHORES
    },
}
# A busy worker process must not sit on queued polls: take one task at a time.
app.conf.worker_prefetch_multiplier = 1
