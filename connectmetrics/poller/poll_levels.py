"""The port through which a good poll's rows and levels reach whoever watches them.

`levels_computed` is sent once per published poll with `queue_filter_id`, `rows` (the
message's rows: key, label, dimensions, values, levels) and `at` (when they were fetched).
The alerts app listens (connectmetrics/alerts/apps.py); the poller never imports it. A
listener that fails is logged and the poll carries on.
"""

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.dispatch import Signal

log = logging.getLogger(__name__)

levels_computed = Signal()


def report(queue_filter_id: int, rows: Sequence[Mapping[str, Any]], at: datetime) -> None:
    for receiver, outcome in levels_computed.send_robust(
        sender=None, queue_filter_id=queue_filter_id, rows=rows, at=at
    ):
        if isinstance(outcome, Exception):
            log.error(
                "levels of queue filter %s not taken by %r: %s",
                queue_filter_id,
                receiver,
                outcome,
                exc_info=outcome,
            )
