"""Fixtures for the polling tests; a module uses them with
`pytest_plugins = ["tests.polling_support"]`."""

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings

from connectmetrics.client import client
from connectmetrics.simulator import CONTROL_URL_ENV
from tests.modes import use_embedded, use_redis


@pytest.fixture
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """No boto3 client cached from another test (their simulated centres count elsewhere)."""
    monkeypatch.setattr(client, "_clients", {})


@pytest.fixture
def redis_mode(
    settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch, fresh_clients: None
) -> Iterator[str]:
    """The full topology's settings on the test's private Redis; simulated calls counted there."""
    use_redis(settings, redis_url)
    monkeypatch.setenv(CONTROL_URL_ENV, redis_url)
    yield redis_url


@pytest.fixture
def embedded_mode(settings: Settings, monkeypatch: pytest.MonkeyPatch, fresh_clients: None) -> None:
    """Embedded settings with empty process-local state."""
    use_embedded(settings)
    monkeypatch.delenv(CONTROL_URL_ENV, raising=False)
