"""The Prometheus text exposition format (version 0.0.4), for /metrics.

A few families of counters, gauges and one histogram need no client library:
this writes them, escaping label values as the format requires.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Kind = Literal["counter", "gauge", "histogram"]


@dataclass(frozen=True)
class Sample:
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)
    suffix: str = ""  # "_bucket", "_sum", "_count" for a histogram's parts


@dataclass(frozen=True)
class Family:
    name: str
    kind: Kind
    help: str
    samples: list[Sample]


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape(value: str) -> str:
    return _escape_help(value).replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for sample in family.samples:
            lines.append(
                f"{family.name}{sample.suffix}{_labels(sample.labels)} {_number(sample.value)}"
            )
    return "\n".join(lines) + "\n"


def histogram_samples(
    cumulative: Iterable[tuple[float, int]], total: float, count: int
) -> list[Sample]:
    """A histogram's bucket, sum and count samples from its cumulative counts."""
    samples = [Sample(n, {"le": _number(bound)}, "_bucket") for bound, n in cumulative]
    return [*samples, Sample(total, suffix="_sum"), Sample(count, suffix="_count")]
