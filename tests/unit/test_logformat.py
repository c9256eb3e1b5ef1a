"""Log lines: one per event, and never a display token."""

import logging

import pytest

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
        'INFO 10.0.0.7:5123 - "WebSocket /ws/wallboards/demo/?token=[hidden]&via=[hidden]" '
        "[accepted]"
    )


@pytest.mark.parametrize(
    "query",
    [
        "tok%65n=SECRET",
        "%74oken=SECRET",
        "TOKEN=SECRET",
        "via=demo&token=SECRET",
        "via=demo;token=SECRET",
        "SECRET",
        "token%3DSECRET",
        "a=1&=SECRET",
        "token=SECRET#frag",
    ],
)
def test_no_spelling_of_a_query_value_reaches_a_line(query: str) -> None:
    for logged in (
        line('%s - "WebSocket %s" [accepted]', "10.0.0.7:5123", f"/ws/wallboards/demo/?{query}"),
        # uvicorn's access log, should a deployment turn it on.
        line(
            '%s - "%s %s HTTP/%s" %d',
            "10.0.0.7:5123",
            "GET",
            f"/wallboards/demo/tv/?{query}",
            "1.1",
            200,
        ),
        line("Cannot check access to http://example.com/wallboards/x/tv/?%s", query),
    ):
        assert "SECRET" not in logged, logged
        assert "?" in logged


def test_a_traceback_stays_on_one_line() -> None:
    assert line("first\nsecond") == "INFO first\\nsecond"
