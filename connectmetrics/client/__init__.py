"""The AWS client and what it knows about calling Connect: the client (client.py), what can
go wrong in the few words the rest acts on (outcomes.py), each API's quota (quotas.py) and
the rate governor that keeps to it (governor.py), the upstream counters (telemetry.py), the
IAM policy (iam.py) and the admin's checks that polling can work (connection.py,
access_check.py).

Above the models and the simulated centre; below the poller, the kinds and the endpoints.
"""
