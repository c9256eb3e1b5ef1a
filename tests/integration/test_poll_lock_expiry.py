"""The poll lock in Redis: a slow poll keeps its lock alive past its ttl; a killed one's lock
frees itself within its ttl (the worker killed mid-poll: tests/e2e/test_fault_worker_kill.py)."""

import time

import redis

from connectmetrics.poller.locks import RedisPollLock, kept_alive


def test_a_slow_poll_keeps_its_lock_and_a_dead_one_frees_it_within_its_ttl(
    redis_url: str,
) -> None:
    lock = RedisPollLock(redis.Redis.from_url(redis_url))
    slow = lock.acquire(1, ttl=0.3)
    assert slow is not None
    with kept_alive(lock, 1, slow, ttl=0.3):
        time.sleep(1.0)  # three times the lock's ttl: botocore retrying a throttled call
        assert lock.acquire(1, ttl=0.3) is None  # the next interval's poll is not let in
    dead = lock.acquire(2, ttl=0.3)  # killed: nothing keeps it alive
    assert dead is not None
    time.sleep(0.35)
    assert lock.acquire(2, ttl=0.3) is not None
