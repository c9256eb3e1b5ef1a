"""bench/api.py's URLs: the project's, plus a minimal view returning an endpoint's bytes.

The baseline is served by the same server process, through the same middleware,
so the ratio measures what the endpoint itself costs: authentication, the
instance, validation, the cache lookup, sorting, paging and serialising.
"""

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from dashboard.urls import urlpatterns as project_urlpatterns

_bodies: dict[str, bytes] = {}


@csrf_exempt
def same_bytes(request: HttpRequest, kind: str) -> HttpResponse:
    """An endpoint's answer ("envelope" or "aws"), read once from the file the benchmark wrote."""
    if kind not in _bodies:
        _bodies[kind] = (
            Path(os.environ["BENCH_API_BASELINE_DIR"]) / f"baseline-{kind}.json"
        ).read_bytes()
    response = HttpResponse(_bodies[kind], content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [path("bench/baseline/<slug:kind>", same_bytes), *project_urlpatterns]
