"""Settings come from environment variables only (documented in README and .env.example).

With no variables set Footprint runs *embedded*: a SQLite file and Celery tasks executed in-process.
That mode is announced at start-up; production (FOOTPRINT_DEBUG unset and FOOTPRINT_EMBEDDED unset)
refuses to start without SECRET_KEY and FOOTPRINT_FERNET_KEY.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

KNOWN_ENV = {
    "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SECRET_KEY", "FOOTPRINT_FERNET_KEY",
    "FOOTPRINT_DEBUG", "FOOTPRINT_EMBEDDED", "FOOTPRINT_ALLOWED_HOSTS", "FOOTPRINT_LOG_LEVEL",
    "FOOTPRINT_BASE_URL", "FOOTPRINT_CSRF_TRUSTED_ORIGINS", "FOOTPRINT_DATA_DIR",
    "FOOTPRINT_CRAWL_TIME_LIMIT",
}
# A misspelt FOOTPRINT_* variable is an error, not a silent default.
_unknown = sorted(k for k in os.environ if k.startswith("FOOTPRINT_") and k not in KNOWN_ENV)
if _unknown:
    raise ImproperlyConfigured(
        f"unknown setting(s) {', '.join(_unknown)}; known: {', '.join(sorted(KNOWN_ENV))}"
    )


def _flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


DATA_DIR = Path(os.environ.get("FOOTPRINT_DATA_DIR") or BASE_DIR / "var")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Embedded = no external services configured; explicit, and announced by footprint.apps at start-up.
EMBEDDED = _flag("FOOTPRINT_EMBEDDED", default=not DATABASE_URL and not CELERY_BROKER_URL)
DEBUG = _flag("FOOTPRINT_DEBUG", default=EMBEDDED)
TESTING = "pytest" in sys.modules

_DEV_SECRET = "footprint-embedded-insecure-secret-key-change-me-0123456789"
_DEV_FERNET = "Zm9vdHByaW50LWVtYmVkZGVkLWRldi1rZXktMDAwMDA="  # 32 bytes, urlsafe b64: dev only
SECRET_KEY = os.environ.get("SECRET_KEY") or ""
FERNET_KEY = os.environ.get("FOOTPRINT_FERNET_KEY") or ""
if not (SECRET_KEY and FERNET_KEY):
    if not (DEBUG or EMBEDDED or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY and FOOTPRINT_FERNET_KEY are required outside embedded/debug mode "
            "(generate a Fernet key with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )
    SECRET_KEY = SECRET_KEY or _DEV_SECRET
    FERNET_KEY = FERNET_KEY or _DEV_FERNET

ALLOWED_HOSTS = [h for h in os.environ.get("FOOTPRINT_ALLOWED_HOSTS", "").split(",") if h] or (
    ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("FOOTPRINT_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
BASE_URL = os.environ.get("FOOTPRINT_BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "footprint.core",
    "footprint.inventory",
    "footprint.costs",
    "footprint.findings",
    "footprint.accounts",
    "footprint.alerts",
    "footprint.actions",
    "footprint.web",
    "footprint.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "footprint.urls"
WSGI_APPLICATION = "footprint.wsgi.application"

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

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "footprint.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS: list = []  # app static folders only (footprint/*/static)
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "footprint.web.finders.PlotlyFinder",  # vendor/plotly.min.js from the plotly package (no CDN)
]
STATIC_ROOT = BASE_DIR / "staticfiles"

# Celery: no broker configured -> tasks run eagerly in the calling process (embedded mode). Under pytest
# always: a test that needs a real broker and worker starts its own (tests/footprint/inventory/test_worker.py).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL or TESTING
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"


def _seconds(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number of seconds, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum} seconds, not {value}")
    return value


# One crawl of one source: the worker's hard time limit. The soft limit comes a minute earlier (the crawl
# is recorded as failed, nothing ended); the crawl lock is considered abandoned a minute after the hard one.
CRAWL_TIME_LIMIT = _seconds("FOOTPRINT_CRAWL_TIME_LIMIT", 1800, minimum=120)
CRAWL_SOFT_TIME_LIMIT = CRAWL_TIME_LIMIT - 60
CRAWL_LOCK_TIMEOUT = CRAWL_TIME_LIMIT + 60

REST_FRAMEWORK = {
    # Token first: an anonymous request gets 401 with ``WWW-Authenticate: Bearer`` (session-first would say 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "footprint.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reads: any signed-in user; writes and commands name their roles (footprint.accounts.permissions).
    "DEFAULT_PERMISSION_CLASSES": ["footprint.accounts.permissions.SignedIn"],
    "DEFAULT_FILTER_BACKENDS": ["footprint.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "footprint.api.exceptions.exception_handler",
    # Per user (a token is its user's), per IP for the anonymous; "crawl now" has its own, tighter scope.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "1200/min", "crawl": "30/hour"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Model Footprint API",
    "DESCRIPTION": "Inventory, cost and drift of every model served across Kubernetes clusters and clouds.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc assets from drf-spectacular-sidecar's static files: there is no CDN to reach.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FOOTPRINT_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # client libraries log every HTTP exchange at INFO
        "azure": {"level": "WARNING"},
        "botocore": {"level": "WARNING"},
        "werkzeug": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
