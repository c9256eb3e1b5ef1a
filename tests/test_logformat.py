"""Log lines: one per event, and never a display token."""

import logging

from dashboard.logformat import OneLineFormatter


def line(message: str, *args: object) -> str:
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, message, args, None)
    return OneLineFormatter("%(levelname)s %(message)s").format(record)


def test_a_tv_socket_url_is_logged_without_its_token() -> None:
    logged = line(
        '%s - "WebSocket %s" [accepted]',
        "10.0.0.7:5123",
        "/ws/wallboards/demo/?token=Zx3-secret_Value&via=floor",
    )
    assert "Zx3-secret_Value" not in logged
    assert logged == (
        'INFO 10.0.0.7:5123 - "WebSocket /ws/wallboards/demo/?token=[hidden]&via=floor" [accepted]'
    )


def test_a_traceback_stays_on_one_line() -> None:
    assert line("first\nsecond") == "INFO first\\nsecond"
