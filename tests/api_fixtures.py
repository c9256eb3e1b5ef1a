"""Fixtures of the metrics endpoint's tests; a module uses them with
`pytest_plugins = ["tests.api_fixtures"]`.

Two modes, as the product runs: `api_redis` (the full topology's settings on
the test's private Redis) and `api_embedded` (process-local state, emptied per
test). In both, the simulated centre counts its calls in a Redis the test
reads (tests.api_support.upstream_calls).
"""

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from connectmetrics.api import cache, store
from connectmetrics.client import client
from connectmetrics.simulator import CONTROL_URL_ENV
from tests.modes import use_embedded, use_redis


@pytest.fixture
def counted_centre(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Simulated centres built from now on count their calls in the test's Redis."""
    monkeypatch.setenv(CONTROL_URL_ENV, redis_url)
    # No boto3 client cached by another test: its centre counts elsewhere.
    monkeypatch.setattr(client, "_clients", {})
    monkeypatch.setattr(store, "_memo", store.OrderedDict())
    monkeypatch.setattr(cache, "_choices", {})
    yield redis_url


@pytest.fixture
def api_embedded(
    settings: SettingsWrapper, counted_centre: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Embedded mode with an empty answer cache and a full quota."""
    use_embedded(settings)
    yield counted_centre


@pytest.fixture
def api_redis(settings: SettingsWrapper, counted_centre: str) -> Iterator[str]:
    """The full topology's settings: the answer cache and the quota in the test's Redis."""
    use_redis(settings, counted_centre)
    yield counted_centre
