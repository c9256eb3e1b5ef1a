"""The poller, written once for every kind of source: when a source is due (schedule.py),
the poll itself (polling.py), Celery's tasks (tasks.py) and embedded mode's loop
(embedded.py), the lock (locks.py) and backoff (backoff.py), the readings store
(readings.py), the ports a poll reaches the screens and the alerts through (screens.py,
poll_levels.py), and what the admin sees of it (poller_status.py, poll_now.py).

Above the AWS client and the models; the kinds and the wallboards app import it, never the
other way round (the kinds plug in through connectmetrics/sources, the screens through the
ports).
"""
