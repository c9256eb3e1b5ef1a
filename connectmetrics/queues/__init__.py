"""The queue filter: the first kind of source, answered by GetCurrentMetricData.

kind.py plugs it into the poller (connectmetrics/sources). Its model, request rules,
catalogue and row building sit lower, where the models, the client, the endpoint and the
simulator read them: connectmetrics/models `QueueFilter`; connectmetrics/connectapi
rules.py, catalogue.py; connectmetrics/wire filter_request.py, message_builder.py,
thresholds.py.
"""
