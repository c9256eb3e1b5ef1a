"""The queue filter: the first kind of source, answered by GetCurrentMetricData.

kind.py plugs it into the poller (connectmetrics/sources). Its model, request rules,
catalogue and row building sit at the top of connectmetrics, where the models, the
client, the endpoint and the simulator read them: models.py `QueueFilter`, rules.py,
catalogue.py, filter_request.py, message_builder.py, thresholds.py.
"""
