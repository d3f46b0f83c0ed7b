"""Settings for the monograph portal, read from the environment.

Safe local defaults: a SQLite file in the project folder, the local-memory
cache and DEBUG off. ``DATABASE_URL`` switches to PostgreSQL, ``DJANGO_DEBUG=1``
turns on debugging for local use.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("DJANGO_ENV", "").strip().lower() == "production"
DEBUG = env_bool("DJANGO_DEBUG") and not PRODUCTION


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production.")
    # A local install keeps a random key of its own outside version control, so
    # sessions survive restarts without a secret ever being committed.
    key_file = BASE_DIR / "var" / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # The page cache's receivers and staff accounts (portal/apps.py). First, so that
    # its createsuperuser, which checks passwords as every other way does, is the one run.
    "portal.apps.PortalConfig",
    # The admin site requires the second factor (portal/staff.py).
    "portal.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "django_filters",
    "markdownx",
    "modelsearch",
    "reversion",
    "rest_framework",
    "drf_spectacular",
    "monographs",
    "django.forms",  # its widget templates, found by FORM_RENDERER below
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and authentication: a stored page is served without either,
    # and the security and CSP headers above are still added to it.
    "portal.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified once the session has passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # Ends staff sessions that are too old or idle, and keeps a save they interrupted.
    "portal.staff.StaffSessionMiddleware",
    # Answers to a signed-in person are never stored by a shared cache.
    "portal.middleware.PrivateForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: tells an editor whose change the page cache missed when readers see it.
    "portal.cache.ChangeNoticeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during login into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out account/address pair is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Form widgets render through the site's own templates, so that templates/django/
# forms/widgets/ can write a select's options in place (the same HTML, faster).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.demo_banner",
                "portal.context_processors.chrome",
            ],
            # {% link "name" %}: {% url %} for pages without arguments, reversed once.
            "builtins": ["monographs.templatetags.links"],
        },
    },
    {
        # The reader pages (portal/jinja2.py): views name it.
        "NAME": "jinja2",
        "BACKEND": "portal.jinja2.Jinja2",
        # Its own templates, then templates/base.html, the frame both engines share.
        "DIRS": [BASE_DIR / "templates" / "jinja2", BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "portal.jinja2.environment",
            "context_processors": [
                "portal.context_processors.demo_banner",
                "portal.context_processors.chrome",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Production keeps each worker's connection (and its page cache) between
        # requests; elsewhere, as in runserver's thread per request, one a request.
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "300" if PRODUCTION else "0")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Write-ahead logging: readers never wait for a writer (several gunicorn
    # workers), and a commit need not wait for the disk twice. Each
    # connection may cache 64 MiB of pages rather than 2 MiB: a search for a
    # common word at 10,000 monographs reads some 20 MiB of index and titles,
    # and with the default it reads them from the file on every request.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # modelsearch's PostgreSQL full-text index needs the contrib app.
    INSTALLED_APPS.append("django.contrib.postgres")

# The search index is the portal's own (monographs/search.py: FTS5 or PostgreSQL
# full text, with column weights). Drug.search_fields still declares the same
# document for modelsearch, whose Elasticsearch/OpenSearch backend is where the
# index would move past one database; its database index is not kept meanwhile.
MODELSEARCH_BACKENDS = {
    "default": {"BACKEND": "modelsearch.backends.database", "AUTO_UPDATE": False},
}

# How long a review holds: "review due" is this many months after "reviewed on".
MONOGRAPH_REVIEW_INTERVAL_MONTHS = int(os.environ.get("MONOGRAPH_REVIEW_INTERVAL_MONTHS", "36"))
# Four eyes: a Reviewer may not approve a draft they edited, unless this is on
# (a one-person team); such an approval is recorded as self-approved.
MONOGRAPH_ALLOW_SELF_APPROVAL = os.environ.get("MONOGRAPH_ALLOW_SELF_APPROVAL", "") == "1"

# `make run` serves the public corpus's machine-written texts as a demonstration:
# every public page then says so. Off unless asked for.
DEMO_BANNER = env_bool("DJANGO_DEMO_BANNER", False)

# --- Caches and the page cache -------------------------------------------
# Local memory by default. With REDIS_URL every app server shares one Redis:
# several servers need it, or each would keep pages the others changed.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("DJANGO_CACHE_KEY_PREFIX", "portal")
if REDIS_URL:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A Redis that stops answering slows a request down by at most this
        # much: no retries (the client's default tries three more times), and
        # then each worker stops asking it for a while (portal/cache.py).
        "OPTIONS": {
            "socket_connect_timeout": 1,
            "socket_timeout": 1,
            "retry": Retry(NoBackoff(), 0),
        },
    }
    CACHES = {
        "default": {**_redis, "KEY_PREFIX": CACHE_KEY_PREFIX},
        "pages": {**_redis, "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:pages"},
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal",
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal-pages",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
    }
# Whole public pages for anonymous readers (portal/cache.py). A change retires
# the pages that show what it changed, on every server sharing the cache.
PAGE_CACHE_ENABLED = env_bool("DJANGO_PAGE_CACHE", True)

PAGE_CACHE_ALIAS = "pages"
PAGE_CACHE_SECONDS = int(os.environ.get("DJANGO_PAGE_CACHE_SECONDS", "600"))
# Where the pages' tokens live while the page cache is per-process local
# memory: a directory, so that every worker process on this machine sees a change.
PAGE_CACHE_TOKEN_DIR = Path(
    os.environ.get("DJANGO_PAGE_CACHE_TOKEN_DIR", BASE_DIR / "var" / "page-tokens")
)
# Part of every stored page's key and ETag: set it anew with each release, so
# that pages and browsers' copies from the last one are not taken for current.
PAGE_CACHE_RELEASE = os.environ.get("DJANGO_RELEASE", "")
# How long a shared cache in front (deploy/nginx.conf) may keep a public page:
# the most a reader of it waits for a published change. Browsers revalidate.
PAGE_SHARED_MAX_AGE = int(os.environ.get("DJANGO_PAGE_SHARED_MAX_AGE", "10"))
# After the cache fails or times out, each worker answers without it this long.
PAGE_CACHE_BREAKER_SECONDS = float(os.environ.get("DJANGO_PAGE_CACHE_BREAKER_SECONDS", "30"))
# --------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"  # British English dates and numbers; the site speaks English only
# The site's time zone: how staff pages show times, and how a Reviewer's "goes live
# at" is read (e.g. Europe/London). Stored times are UTC whatever it is.
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
# No translations: Django's own advice for a site in one language. It also spares
# a lookup of the active language for each tag and filter (docs/PERFORMANCE.md).
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# Only production collects static files; elsewhere WhiteNoise reads the finders.
STATIC_ROOT = (
    Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles")) if PRODUCTION else None
)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production WhiteNoise serves straight from the app folders, so a
# local run needs no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- Staff accounts -------------------------------------------------------
# Signing in takes a password and a code from an authenticator app (TOTP,
# django-two-factor-auth); a first sign-in enrols the app. See README, "Staff accounts".
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "admin:index"
OTP_TOTP_ISSUER = "Drug monograph portal"
# Half the default: a password and a code go together, not an hour apart.
TWO_FACTOR_LOGIN_TIMEOUT = 300
# A staff session ends this many hours after signing in, whatever happens in it,
# and after this many minutes without a request; a password change ends the others.
STAFF_SESSION_HOURS = float(os.environ.get("DJANGO_STAFF_SESSION_HOURS", "8"))
STAFF_SESSION_IDLE_MINUTES = float(os.environ.get("DJANGO_STAFF_SESSION_IDLE_MINUTES", "30"))
# The cookie outlives neither; readers have no session at all.
SESSION_COOKIE_AGE = int(STAFF_SESSION_HOURS * 3600)
SESSION_COOKIE_HTTPONLY = True
# --------------------------------------------------------------------------

# django-markdownx: its views are routed in portal/urls.py behind a staff
# login, and its preview goes through the portal's own sanitising renderer.
# Uploads go through monographs.forms.EditorImageForm, which checks what the
# file really is rather than the type and name the browser claims.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "monographs.markdown.render"
MARKDOWNX_URLS_PATH = "/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/markdownx/upload/"
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png"]
MARKDOWNX_UPLOAD_MAX_SIZE = 2 * 1024 * 1024
MARKDOWNX_MEDIA_PATH = "markdownx/"
# A 2 MB PNG can still decode to gigabytes; larger images are refused unopened.
UPLOAD_IMAGE_MAX_PIXELS = 40_000_000

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("DJANGO_BEHIND_TLS_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        if not SECURE_SSL_REDIRECT:
            # The TLS-terminating proxy redirects plain HTTP itself, so Django must not.
            SILENCED_SYSTEM_CHECKS = ["security.W008"]

# One policy everywhere, so that anything the admin or the pages would need
# 'unsafe-inline' for fails in development and in the tests, not first in production.
# Every script and style is a file under /static/; Markdown images are same-origin uploads.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# django-axes: failed sign-ins are counted three ways, each with its own threshold
# (portal/lockouts.py): one account from one address; one address whatever the
# account (credential stuffing); one account whatever the address (a distributed guess).
AXES_HANDLER = "portal.lockouts.ThresholdHandler"
# The account and address pair first: a success clears that one only (portal/lockouts.py).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
LOCKOUT_THRESHOLDS = {
    "username,ip_address": int(os.environ.get("DJANGO_LOCKOUT_ACCOUNT_ADDRESS", "5")),
    "ip_address": int(os.environ.get("DJANGO_LOCKOUT_ADDRESS", "20")),
    "username": int(os.environ.get("DJANGO_LOCKOUT_ACCOUNT", "10")),
}
AXES_FAILURE_LIMIT = LOCKOUT_THRESHOLDS["username,ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOCKOUT_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.lockouts.locked_out"
# The sign-in is a two-step form (django-two-factor-auth): its password field is
# "auth-password", which axes must mask like "password" in what it stores.
AXES_SENSITIVE_PARAMETERS = ["auth-password", "token-otp_token", "backup-otp_token"]
# Where the client's address comes from. Only REMOTE_ADDR by default: without a
# proxy that sets it, X-Forwarded-For is whatever the client wants it to be, and a
# forged one would dodge the lockout. See README, "Configuration".
AXES_IPWARE_META_PRECEDENCE_ORDER = env_list("DJANGO_AXES_IP_HEADERS", "REMOTE_ADDR")
_axes_proxy_count = os.environ.get("DJANGO_AXES_PROXY_COUNT", "").strip()
AXES_IPWARE_PROXY_COUNT = int(_axes_proxy_count) if _axes_proxy_count else None

# The read API (monographs/api.py): anonymous, read-only JSON. No authentication
# class, so that a request never looks up a session; one renderer, so that its
# answers do not vary on Accept and the page cache may keep them.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "monographs.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Drug monograph portal: read API",
    "DESCRIPTION": (
        "Published drug monographs, their side effects and the lookup of a side effect "
        "across medicines. Anonymous and read-only. Examples: /api/"
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api",
    "COMPONENT_SPLIT_REQUEST": True,
}

# FHIR (monographs/fhir.py): the canonical base of the code systems and the
# extension the portal defines (docs/FHIR.md). Identifiers, not locations: set
# it once to the site's public address followed by /fhir, and never change it.
FHIR_CANONICAL_BASE = os.environ.get(
    "FHIR_CANONICAL_BASE", "https://monographs.example.org/fhir"
).rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
