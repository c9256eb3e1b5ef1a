"""Settings for bench/api.py: the project's settings, plus the baseline view's URL."""

from dashboard.settings import *  # noqa: F403

ROOT_URLCONF = "api_bench_urls"
