"""Log lines for collectors that read one event per line (docker logs, journald, Loki).

A traceback or a multi-line message would split one event over many lines,
and the later lines would arrive without time, level or logger. The newlines
are written as a literal \\n instead, so each event stays on its own line.
Python's warnings become log lines too, rather than bare text on stderr.

A client's fault is not the server's: uvicorn logs a WebSocket text frame that is
not UTF-8 as an ERROR with a traceback (and closes the socket with 1007, as it
should); it is written as one WARNING line instead, so an alert on ERROR means
the server.

Display tokens ride in TV URLs, and servers log URLs (uvicorn logs every
accepted WebSocket with its query string). A token has more spellings than
`token=` (`tok%65n=`, `%74oken=`, ...), so no query value is written at all:
every value after a `?` becomes [hidden], whatever its name; a name is kept
only when it is short and plain, so the line still says which parameters came.
"""

import logging
import logging.config
import re
from typing import Any

HIDDEN = "[hidden]"
# A query string: a `?` right after a path or a name, up to whitespace or a quote.
_QUERY = re.compile(r"(?<=[\w/%.-])\?([^\s\"'<>]+)")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.%-]{1,20}")
# A token's value outside any query string (an exception's text, say).
_TOKEN_VALUE = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)


def _hide_values(query: re.Match[str]) -> str:
    parts = []
    for part in re.split(r"[&;]", query.group(1)):
        name, equals, _ = part.partition("=")
        parts.append(f"{name}={HIDDEN}" if equals and _PLAIN_NAME.fullmatch(name) else HIDDEN)
    return "?" + "&".join(parts)


def hide_secrets(line: str) -> str:
    """The line with every query value, and any `token=` value, replaced by [hidden]."""
    return _TOKEN_VALUE.sub(rf"\1{HIDDEN}", _QUERY.sub(_hide_values, line))


# uvicorn's errors that are a client's fault: (logger, the message's start).
CLIENT_FAULTS = (("uvicorn.error", "Invalid UTF-8 sequence received from client"),)


def client_fault_as_warning(record: logging.LogRecord) -> bool:
    """A logger filter: a client's fault becomes a WARNING without a traceback."""
    if any(
        record.name == name and str(record.msg).startswith(start) for name, start in CLIENT_FAULTS
    ):
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
    return True


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return hide_secrets(super().format(record).replace("\r", "").replace("\n", "\\n"))


def configure(config: dict[str, Any]) -> None:
    """settings.LOGGING_CONFIG: the settings' LOGGING, warnings through logging, and
    clients' faults as warnings."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
    for name in {name for name, _ in CLIENT_FAULTS}:
        logger = logging.getLogger(name)
        if client_fault_as_warning not in logger.filters:
            logger.addFilter(client_fault_as_warning)
