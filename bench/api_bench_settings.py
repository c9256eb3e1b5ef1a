"""Settings for bench/api.py: the project's settings, plus the baseline view's URL."""

from dashboard.settings import *  # noqa: F403
from dashboard.settings import STORAGES

# The benchmarks load no page's static files: served from the source folders, nothing to
# collect first (dashboard/static_files.py).
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

ROOT_URLCONF = "api_bench_urls"
