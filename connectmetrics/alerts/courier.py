"""Who sends the deliveries, never the poll itself.

With Redis (the full topology) each delivery is a Celery task on the `alerts` queue
(connectmetrics/alerts/tasks.py), retried with Celery's countdown; beat sweeps up lost ones
and prunes old history. In embedded mode there is no worker: a `ThreadCourier` sends from
two threads of the web process's own, retries on timers and sweeps every
ALERT_SWEEP_SECONDS from a third, so a slow or dead destination never holds a poll thread.
Either way the outbox in the database is the truth: a delivery whose task is lost is sent by
the next sweep, after a restart too.
"""

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from django.conf import settings
from django.db import close_old_connections

from connectmetrics.alerts import delivery

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600


class Courier(Protocol):
    def send(self, delivery_ids: Sequence[int], countdown: float = 0) -> None: ...


class CeleryCourier:
    def send(self, delivery_ids: Sequence[int], countdown: float = 0) -> None:
        from connectmetrics.alerts.tasks import deliver_alert

        for delivery_id in delivery_ids:
            try:
                # No publish retries: with Redis away the poll must not wait; the sweep sends it.
                deliver_alert.apply_async((delivery_id,), countdown=countdown, retry=False)
            except Exception as error:
                log.warning("alert delivery %s left for the sweep: %s", delivery_id, error)


class ThreadCourier:
    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="alerts")
        self._stopped = threading.Event()
        self._sweeper = threading.Thread(
            target=self._sweep_forever, name="alerts-sweep", daemon=True
        )
        self._sweeper.start()

    def send(self, delivery_ids: Sequence[int], countdown: float = 0) -> None:
        for delivery_id in delivery_ids:
            if countdown > 0:
                timer = threading.Timer(countdown, self._submit, (delivery_id,))
                timer.daemon = True
                timer.start()
            else:
                self._submit(delivery_id)

    def stop(self) -> None:
        """Stop sweeping and sending (what is left is sent by the next process's sweep)."""
        self._stopped.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _submit(self, delivery_id: int) -> None:
        if self._stopped.is_set():
            return
        self._executor.submit(self._deliver, delivery_id)

    def _deliver(self, delivery_id: int) -> None:
        close_old_connections()
        try:
            retry_in = delivery.attempt(delivery_id)
        except Exception:
            log.exception("alert delivery %s failed; the sweep will try again", delivery_id)
            return
        finally:
            close_old_connections()
        if retry_in is not None:
            self.send([delivery_id], retry_in)

    def _sweep_forever(self) -> None:
        pruned_at = time.monotonic()
        while not self._stopped.wait(settings.ALERT_SWEEP_SECONDS):
            close_old_connections()
            try:
                self.send(delivery.overdue())
                if time.monotonic() - pruned_at > PRUNE_EVERY_SECONDS:
                    delivery.prune()
                    pruned_at = time.monotonic()
            except Exception:
                log.exception(
                    "alert sweep failed; trying again in %s s", settings.ALERT_SWEEP_SECONDS
                )
            finally:
                close_old_connections()


_couriers: dict[bool, Courier] = {}
_made = threading.Lock()


def courier() -> Courier:
    """The courier for this process's mode, made once (embedded: its threads start then)."""
    embedded = bool(settings.EMBEDDED)
    with _made:
        if embedded not in _couriers:
            _couriers[embedded] = ThreadCourier() if embedded else CeleryCourier()
        return _couriers[embedded]
