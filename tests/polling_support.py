"""Fixtures for the polling tests; a module uses them with
`pytest_plugins = ["tests.polling_support"]`."""

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings

from connectmetrics import backoff, client, governor, locks, readings, schedule
from connectmetrics.simulator import CONTROL_URL_ENV


@pytest.fixture
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """No boto3 client cached from another test (their simulated centres count elsewhere)."""
    monkeypatch.setattr(client, "_clients", {})


@pytest.fixture
def redis_mode(
    settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch, fresh_clients: None
) -> Iterator[str]:
    """The full topology's settings on the test's private Redis; simulated calls counted there."""
    settings.REDIS_URL = redis_url
    settings.EMBEDDED = False
    monkeypatch.setenv(CONTROL_URL_ENV, redis_url)
    yield redis_url


@pytest.fixture
def embedded_mode(settings: Settings, monkeypatch: pytest.MonkeyPatch, fresh_clients: None) -> None:
    """Embedded settings with empty process-local state."""
    settings.REDIS_URL = ""
    settings.EMBEDDED = True
    monkeypatch.delenv(CONTROL_URL_ENV, raising=False)
    monkeypatch.setattr(readings, "_local", readings.LocalReadingsStore())
    monkeypatch.setattr(locks, "_local", locks.LocalPollLock())
    monkeypatch.setattr(backoff, "_local", backoff.LocalBackoffState())
    monkeypatch.setattr(schedule, "_local", schedule.LocalSlotClaims())
    monkeypatch.setattr(governor, "_local", None)
