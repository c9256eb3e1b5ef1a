"""bench/api.py's URLs: the project's, plus a minimal view returning the endpoint's bytes.

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

_body: bytes | None = None


@csrf_exempt
def same_bytes(request: HttpRequest) -> HttpResponse:
    """The endpoint's answer, read once from the file the benchmark wrote."""
    global _body
    if _body is None:
        _body = Path(os.environ["BENCH_API_BASELINE_FILE"]).read_bytes()
    response = HttpResponse(_body, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [path("bench/baseline", same_bytes), *project_urlpatterns]
