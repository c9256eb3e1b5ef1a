"""Sources: the Connect requests the poller keeps live, of any kind.

A *source* is one Connect request kept live by the poller (a queue filter, later an
agent grid or today's performance); its *kind* says which API answers it and
supplies what differs between kinds (kind.py), on a base that does what every kind
does alike (base.py, polled.py, stale.py). The poller does the rest once for every
kind: schedule, lock, backoff, quota, store, trends, publish (connectmetrics/poller/polling.py).
A kind is listed in registry.py.

This package imports nothing else of connectmetrics, so every layer may use it.
"""
