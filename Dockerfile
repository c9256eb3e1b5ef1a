# The wallboard image: one image for web, worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 10001 wallboard
WORKDIR /app

COPY pyproject.toml README.md ./
COPY dashboard ./dashboard
COPY connectmetrics ./connectmetrics
COPY templates ./templates
COPY static ./static
COPY bin ./bin
COPY manage.py ./
# Static files are collected with DEBUG off, as the server runs: only then is the manifest
# of hashed names written, which the pages' {% static %} tags need.
RUN pip install --no-compile . \
    && SECRET_KEY=collectstatic-only-not-used-at-run-time python manage.py collectstatic --noinput \
    && chown -R wallboard:wallboard /app

USER wallboard
EXPOSE 8000
CMD ["bin/web"]
