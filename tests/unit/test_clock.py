"""The product's clock (dashboard/lib/clock.py): real time at speed 1, faster from a
fixed start for an endurance run, the same in every process given the same settings."""

import time
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from dashboard.lib import clock

START = "2026-03-28T20:00:00+00:00"
START_EPOCH = datetime(2026, 3, 28, 20, tzinfo=UTC).timestamp()


def test_speed_one_is_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_700_000_123.25)
    assert clock.now() == 1_700_000_123.25
    assert clock.moment() == datetime.fromtimestamp(1_700_000_123.25, UTC)
    assert clock.speed() == 1.0


def test_a_faster_clock_runs_from_its_start(monkeypatch: pytest.MonkeyPatch) -> None:
    real = [1_000.0]
    monkeypatch.setattr(time, "time", lambda: real[0])
    with override_settings(
        WALLBOARD_CLOCK_SPEED="60", WALLBOARD_CLOCK_START=START, WALLBOARD_CLOCK_EPOCH="1000"
    ):
        assert clock.now() == START_EPOCH
        real[0] = 1_060.0
        # A real minute is an hour of data time.
        assert clock.now() == START_EPOCH + 3600
        assert clock.moment() == datetime(2026, 3, 28, 21, tzinfo=UTC)
        assert clock.speed() == 60.0


def test_processes_with_the_same_settings_read_the_same_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = ("600", START, "1000.5")
    monkeypatch.setattr(time, "time", lambda: 2_000.0)
    # Each process builds its clock from the settings it was given.
    web, worker = clock.clock_of(*values), clock.clock_of(*values)
    assert web.now() == worker.now() == START_EPOCH + (2_000.0 - 1000.5) * 600


def test_without_a_start_the_clock_starts_at_its_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 110.0)
    assert clock.clock_of("10", "", "100").now() == 100 + 10 * 10


@pytest.mark.parametrize(
    ("values", "named"),
    [
        (("fast", "", "1000"), "WALLBOARD_CLOCK_SPEED must be a number"),
        (("0", "", "1000"), "WALLBOARD_CLOCK_SPEED must be above 0"),
        (("-5", "", "1000"), "WALLBOARD_CLOCK_SPEED must be above 0"),
        (("inf", "", "1000"), "WALLBOARD_CLOCK_SPEED must be a finite number"),
        (("60", "", ""), "WALLBOARD_CLOCK_EPOCH must be set"),
        (("60", "", "yesterday"), "WALLBOARD_CLOCK_EPOCH must be a number"),
        (("60", "", "-1"), "WALLBOARD_CLOCK_EPOCH must be at least 0"),
        (("1", START, ""), "WALLBOARD_CLOCK_START needs WALLBOARD_CLOCK_EPOCH"),
        (("60", "March", "1000"), "WALLBOARD_CLOCK_START must be an ISO 8601 moment"),
        (("60", "2026-03-28T20:00:00", "1000"), "WALLBOARD_CLOCK_START must give its UTC offset"),
    ],
)
def test_values_it_cannot_use_are_refused_naming_the_setting(
    values: tuple[str, str, str], named: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=named):
        clock.clock_of(*values)
