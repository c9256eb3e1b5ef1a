"""Settings for bench/fanout.py: the project's settings with the channel layer it measures.

BENCH_CHANNEL_LAYER=redis|pubsub picks channels_redis's RedisChannelLayer or
RedisPubSubChannelLayer on REDIS_URL; unset keeps the project's choice.
"""

import os

from dashboard.settings import *  # noqa: F403
from dashboard.settings import REDIS_URL, STORAGES

# The benchmarks load no page's static files: served from the source folders, nothing to
# collect first (dashboard/static_files.py).
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

_BACKENDS = {
    "redis": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}

_layer = os.environ.get("BENCH_CHANNEL_LAYER", "")
if _layer:
    CHANNEL_LAYERS = {"default": {"BACKEND": _BACKENDS[_layer], "CONFIG": {"hosts": [REDIS_URL]}}}
