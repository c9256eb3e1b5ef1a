"""What the socket carries: its messages (socket_messages.py, the one definition) and the
files generated from them (socket_contract.py), what source-keyed messages share
(source_messages.py), and the queue filter's request and row building (filter_request.py,
thresholds.py, message_builder.py).

Pure definitions and functions below the models, which read the thresholds and the
request: it imports only connectmetrics/connectapi and connectmetrics/sources.
"""
