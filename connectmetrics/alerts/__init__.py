"""Alerts: sustained threshold breaches, made durable and sent to people away from the wall.

The poller hands each good poll's rows and levels to `evaluator.evaluate` (through the
connectmetrics.poller.poll_levels signal); it decides, in the database, when a row's breach has
lasted long enough to raise an alert, when to repeat it and when it has cleared, and records
each as an `AlertEvent` with one `Delivery` per destination (an outbox). `courier` sends the
deliveries off the poll: Celery tasks with the full topology, a thread of the web process in
embedded mode. docs/alerts.md describes rules, destinations and the signed payload.
"""
