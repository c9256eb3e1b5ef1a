"""Celery tasks for alerts: send one delivery (retried with exponential backoff), sweep up
deliveries whose task was lost, prune old history. Beat runs the last two
(dashboard/celery.py); deliveries go to the `alerts` queue so that a worker can be kept for
them alone (docs/alerts.md)."""

from celery import Task, shared_task

from connectmetrics.alerts import delivery
from connectmetrics.alerts.courier import CeleryCourier

ALERTS_QUEUE = "alerts"


@shared_task(
    bind=True, name="alerts.deliver", ignore_result=True, max_retries=None, queue=ALERTS_QUEUE
)
def deliver_alert(self: Task, delivery_id: int) -> None:
    retry_in = delivery.attempt(delivery_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(name="alerts.sweep", ignore_result=True, queue=ALERTS_QUEUE)
def sweep_alert_deliveries() -> int:
    overdue = delivery.overdue()
    CeleryCourier().send(overdue)
    return len(overdue)


@shared_task(name="alerts.prune", ignore_result=True)
def prune_alert_history() -> int:
    return delivery.prune()
