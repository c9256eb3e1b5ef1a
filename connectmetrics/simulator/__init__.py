"""A simulated Amazon Connect contact centre that speaks the real wire API.

    from connectmetrics.simulator import simulated_client
    client = simulated_client(seed=7)
    client.get_current_metric_data(InstanceId=SIMULATED_INSTANCE_ID, ...)

See docs/simulator.md.
"""

from connectmetrics.simulator.centre import SimulatedCentre, simulated_client
from connectmetrics.simulator.faults import (
    CONTROL_URL_ENV,
    Faults,
    LoggedCall,
    call_counts,
    call_log,
    reset,
    set_faults,
)

__all__ = [
    "CONTROL_URL_ENV",
    "Faults",
    "LoggedCall",
    "SimulatedCentre",
    "call_counts",
    "call_log",
    "reset",
    "set_faults",
    "simulated_client",
]
