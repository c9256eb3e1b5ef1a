"""Log lines for collectors that read one event per line (docker logs, journald, Loki).

A traceback or a multi-line message would split one event over many lines,
and the later lines would arrive without time, level or logger. The newlines
are written as a literal \\n instead, so each event stays on its own line.
Python's warnings become log lines too, rather than bare text on stderr.
Display tokens ride in TV socket URLs, and servers log URLs (uvicorn logs every
accepted WebSocket): any `token=` value is masked before a line is written.
"""

import logging
import logging.config
import re
from typing import Any

_TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"']+")


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record).replace("\r", "").replace("\n", "\\n")
        return _TOKEN_IN_URL.sub(r"\1[hidden]", line)


def configure(config: dict[str, Any]) -> None:
    """settings.LOGGING_CONFIG: the settings' LOGGING, and warnings through logging."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
