"""Settings for the Connect wallboard, read from the environment and a .env file.

Every variable is listed in README.md ("Configuration"). With no REDIS_URL the
product runs embedded: in-memory channel layer, local readings store and the
poller inside the web process. With REDIS_URL it runs the full topology: Celery
worker and beat poll into Redis, and every web process pushes from there.
"""

import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dashboard.env import env_bool, env_int, env_list, env_str, env_url, load_env_file
from dashboard.lib.clock import clock_of

BASE_DIR = Path(__file__).resolve().parent.parent
# The environment wins over .env (`make demo` writes one for the demo).
load_env_file(BASE_DIR / ".env")

DEBUG = env_bool("DEBUG", False)
# Always the deployment's own: a fixed development key would be public, and anyone could
# sign sessions and NextTokens with it.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set, in the environment or in .env (`make demo` writes a .env "
        "with one; README.md, Configuration)"
    )

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
    "axes",
    "connectmetrics",
    "connectmetrics.alerts",
    "connectmetrics.agents",
    "connectmetrics.today",
    # The metrics endpoint and the drop-in Connect endpoint (/aws/): apps of their own so
    # that their admins (API tokens, AWS access keys) are found.
    "connectmetrics.api",
    "connectmetrics.awsapi",
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
    # Django's CSRF check, with the Origin judged by the socket's rule (dashboard/origins.py).
    "dashboard.origins.CsrfOriginMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: answers a locked-out sign-in with 429.
    "axes.middleware.AxesMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web, worker and beat (and the admin's commands) write to one file at once:
    # readers never wait for a writer (WAL), and a write transaction takes its lock when it
    # starts (IMMEDIATE), so it waits its turn (timeout, s) instead of failing at once with
    # "database is locked" when a read would have to turn into a write.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
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

# Password guessing on both sign-in pages (/accounts/login/, /admin/login/): after
# LOGIN_FAILURE_LIMIT wrong passwords for one user name from one address, that pair is
# refused (429, even with the right password) for LOGIN_COOLOFF_MINUTES. django-axes keeps
# the count in the database, so every web process sees the same one. Keyed by user name and
# address together, so one office's mistyped password locks out nobody else behind the same
# NAT, and nobody can lock an admin out from elsewhere. The address is REMOTE_ADDR, which
# uvicorn takes from X-Forwarded-For only when the proxy is in FORWARDED_ALLOW_IPS.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False  # no banner line at every start of every command
AXES_COOLOFF_MESSAGE = "Too many wrong passwords: signing in is paused; try again later."

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# The data's clock (dashboard/lib/clock.py): real time at speed 1; faster for an endurance
# run (bench/endurance.py), the same in every process given the same three values. Checked
# here so a process with values it cannot use refuses to start, naming the setting.
WALLBOARD_CLOCK_SPEED = env_str("WALLBOARD_CLOCK_SPEED", "1")
WALLBOARD_CLOCK_START = env_str("WALLBOARD_CLOCK_START")
WALLBOARD_CLOCK_EPOCH = env_str("WALLBOARD_CLOCK_EPOCH")
clock_of(WALLBOARD_CLOCK_SPEED, WALLBOARD_CLOCK_START, WALLBOARD_CLOCK_EPOCH)

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

# Snapshots, locks, slot claims, backoff, the rate governor, the answer cache,
# telemetry and the token guard: in this process, or in Redis for every process
# (dashboard/lib/shared_state.py).
SHARED_STATE: dict[str, object]
if EMBEDDED:
    SHARED_STATE = {"BACKEND": "dashboard.lib.shared_state.LocalSharedState"}
else:
    SHARED_STATE = {"BACKEND": "dashboard.lib.shared_state.RedisSharedState"}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Back to polling within a second or two of Redis returning (connectmetrics/poller/tasks.py).
CELERY_WORKER_CONSUMER = "connectmetrics.poller.tasks:PromptReconnectConsumer"

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
# The agent grid's names (SearchUsers, ListAgentStatuses, ListUserHierarchyGroups) are
# read again this often, never per poll (connectmetrics/agents/directory.py).
AGENT_NAMES_REFRESH_SECONDS = env_int("AGENT_NAMES_REFRESH_SECONDS", 600, minimum=10)

# --- Alerts (docs/alerts.md) ---------------------------------------------------
# Seconds to wait for a destination to connect, and again for its answer.
ALERT_SEND_TIMEOUT = env_int("ALERT_SEND_TIMEOUT", 5, minimum=1)
# Attempts per message before giving up; the wait doubles after each failure up to the cap.
ALERT_SEND_ATTEMPTS = env_int("ALERT_SEND_ATTEMPTS", 8, minimum=1)
ALERT_RETRY_BASE_SECONDS: float = env_int("ALERT_RETRY_BASE_SECONDS", 10, minimum=1)
ALERT_RETRY_MAX_SECONDS: float = env_int("ALERT_RETRY_MAX_SECONDS", 600, minimum=1)
# Failures in a row after which the admin shows a destination as failing.
ALERT_FAILING_AFTER = env_int("ALERT_FAILING_AFTER", 3, minimum=1)
# How often lost deliveries are swept up, and how late one must be to count as lost.
ALERT_SWEEP_SECONDS: float = env_int("ALERT_SWEEP_SECONDS", 15, minimum=1)
ALERT_SWEEP_GRACE_SECONDS: float = env_int("ALERT_SWEEP_GRACE_SECONDS", 30, minimum=1)
# Alert history is kept this many days (at least 30).
ALERT_HISTORY_DAYS = env_int("ALERT_HISTORY_DAYS", 90, minimum=30)

# E-mail for alert destinations; `make demo` prints mails on the console instead.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "wallboard@localhost")

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
# security.W003 looks for Django's CSRF middleware by its dotted path; the site runs it as
# dashboard.origins.CsrfOriginMiddleware, the same middleware judging the Origin by the rule
# the wallboard socket uses.
SILENCED_SYSTEM_CHECKS = ["security.W021", "security.W003"]

# Seconds a client has to send a whole request (head and body), from the connection's
# opening or the request's first byte; then bin/web closes it (dashboard/http_protocol.py).
REQUEST_READ_TIMEOUT = env_int("REQUEST_READ_TIMEOUT", 10, minimum=1)

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
