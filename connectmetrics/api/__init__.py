"""The metrics endpoint: GetCurrentMetricData's request, answered from the shared cache."""
