"""Log lines for collectors that read one event per line (docker logs, journald, Loki).

A traceback or a multi-line message would split one event over many lines,
and the later lines would arrive without time, level or logger. The newlines
are written as a literal \\n instead, so each event stays on its own line.
Python's warnings become log lines too, rather than bare text on stderr.

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


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return hide_secrets(super().format(record).replace("\r", "").replace("\n", "\\n"))


def configure(config: dict[str, Any]) -> None:
    """settings.LOGGING_CONFIG: the settings' LOGGING, and warnings through logging."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
