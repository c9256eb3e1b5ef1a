"""Settings for the Connect wallboard, read from the environment.

Every variable is listed in README.md ("Configuration"). With no REDIS_URL the
product runs embedded: in-memory channel layer, local readings store and the
poller inside the web process. With REDIS_URL it runs the full topology: Celery
worker and beat poll into Redis, and every web process pushes from there.
"""

import hashlib
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dashboard.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])


def _code_fingerprint() -> str:
    """A short hash of the shipped pages' code, so a deploy changes the build by itself."""
    digest = hashlib.sha256()
    for path in sorted((BASE_DIR / "static").rglob("*")) + sorted(
        (BASE_DIR / "templates").rglob("*")
    ):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# A build identifier: open pages reload themselves when the server's build changes.
BUILD_ID = env_str("BUILD_ID") or _code_fingerprint()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "connectmetrics",
    "dashboard",
]

MIDDLEWARE = [
    # /healthz and /metrics for probes inside the deployment, ahead of the host check
    # and the HTTPS redirect (dashboard/probes.py says why that is safe).
    "dashboard.probes.probe_middleware",
    "django.middleware.security.SecurityMiddleware",
    "dashboard.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
ASGI_APPLICATION = "dashboard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# No persistent connections: under ASGI each request may run in a new thread, so
# Django advises pooling in the database (or PgBouncer) instead.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=0
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Supervisors sign in on the site's own page (the admin's accepts staff only).
LOGIN_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic puts the files the server serves (the image collects them at build).
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "dashboard.storage.ModuleStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Redis, channel layer, Celery -------------------------------------------
# REDIS_URL unset means embedded mode (one process does everything).
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss", "unix"))
EMBEDDED = not REDIS_URL

# Each web process subscribes once per group and fans out to its sockets itself
# (dashboard/fanout.py). The Redis layer was chosen by measurement with
# bench/fanout.py: see docs/performance.md.
REDIS_CHANNEL_LAYER = "channels_redis.pubsub.RedisPubSubChannelLayer"
CHANNEL_LAYERS: dict[str, dict[str, object]]
if EMBEDDED:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": REDIS_CHANNEL_LAYER, "CONFIG": {"hosts": [REDIS_URL]}}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Back to polling within a second or two of Redis returning (connectmetrics/tasks.py).
CELERY_WORKER_CONSUMER = "connectmetrics.tasks:PromptReconnectConsumer"

# --- Polling ------------------------------------------------------------------
# Upstream quota per AWS account and Region (GetCurrentMetricData): 5/s, burst 8.
CONNECT_RATE_PER_SECOND = env_int("CONNECT_RATE_PER_SECOND", 5, minimum=1)
CONNECT_RATE_BURST = env_int("CONNECT_RATE_BURST", 8, minimum=1)
CONNECT_CONNECT_TIMEOUT = env_int("CONNECT_CONNECT_TIMEOUT", 5, minimum=1)
CONNECT_READ_TIMEOUT = env_int("CONNECT_READ_TIMEOUT", 10, minimum=1)
CONNECT_MAX_ATTEMPTS = env_int("CONNECT_MAX_ATTEMPTS", 3, minimum=1)
# Embedded mode polls inside the web process; EMBEDDED_POLLER=0 turns that off
# (a second embedded web process, or tests that poll by hand).
EMBEDDED_POLLER = EMBEDDED and env_bool("EMBEDDED_POLLER", True)

# --- Security -------------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Opt-in, for deployments whose HTTPS ends at this server or a proxy that does not redirect.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Opt-in: trust X-Forwarded-Proto, only behind a proxy that sets it on every request.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS preloading is asked for a whole registrable domain by its owner, and a
# wallboard lives on one host of the contact centre's domain: that choice is not
# this app's to make, so check --deploy does not nag for it (SECURE_HSTS_PRELOAD
# stays available).
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# /metrics: a bearer token, and/or the addresses allowed without one (dashboard/probes.py).
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One line per event (tracebacks folded onto it), to stdout, for docker logs and the like.
    "formatters": {
        "line": {
            "class": "dashboard.logformat.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Celery logs several lines per task and per beat tick; the poller logs one per event.
        **{
            name: {"level": "WARNING"}
            for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat")
        },
        # uvicorn set up its own handler (to stderr, in its own format) before Django
        # started: its lines go the same way as everyone else's.
        "uvicorn": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # Never an access log: a TV's socket URL carries its display token (bin/web).
        "uvicorn.access": {"handlers": [], "propagate": False},
    },
}
LOGGING_CONFIG = "dashboard.logformat.configure"
