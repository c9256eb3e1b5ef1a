"""Amazon Connect's API as AWS documents it (docs/connect-api.md): GetCurrentMetricData's
metric catalogue and its request rules, and the Regions that have Connect (regions.py).

The lowest layer of the Connect side: the simulated centre answers by these rules and the
product (the admin form, the client, the endpoints) checks by them, so both import this
package and it imports nothing else of the project.
"""
