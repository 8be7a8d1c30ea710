"""Settings, all from the environment (django-environ).

A bad value fails loudly at start-up rather than half-working: a production
deploy without DJANGO_SECRET_KEY refuses to start. `.env.example` lists every
variable; `.env` itself is never committed.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is read when present (developer convenience); the process
# environment always wins over it.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false (set DJANGO_DEBUG=true for local development)."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so that its runserver (WhiteNoise's, with Nagle's algorithm off) is the one Django runs; the app has
    # no templates, static files or translations that this order would let shadow another app's.
    "orchestrator",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages are gzipped here (static files come precompressed from WhiteNoise above, which answers
    # them before this): a 200-stage designer page is 3.5 MB of HTML, 0.16 MB gzipped, for ~35 ms of
    # compression. Done by the app, not left to the proxy, so `make serve-prod` and any proxy get it;
    # Django adds random bytes to each gzip header against BREACH, and its CSRF tokens are masked.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Permissions-Policy, and no-store on every answer to a signed-in user (it needs request.user).
    "orchestrator.middleware.SecurityHeadersMiddleware",
    # Login is required everywhere; the few public views opt out explicitly.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "orchestrator.urls"
WSGI_APPLICATION = "orchestrator.wsgi.application"

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
                "orchestrator.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the task worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Each stage's rendered markup on the designer page and its problems, by the hash of its content
# (views/designer_cache.py), compressed: a few KB a stage. Per process by default; DESIGNER_CACHE_URL
# (e.g. filecache:///var/cache/orchestrator-designer, a directory only the app's user may write: the
# entries are pickles) shares it between web workers, so a stage one worker rendered is not rendered again
# by the next (a first render costs about 5 ms a stage; a kept one a few hundredths of that).
try:
    _designer_cache = env.cache_url_config(env.str("DESIGNER_CACHE_URL", default="") or "locmemcache://designer-stages")
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(
        f"DESIGNER_CACHE_URL: {exc}; use e.g. filecache:///var/cache/orchestrator-designer or locmemcache://"
    ) from exc
_designer_cache.setdefault("TIMEOUT", 24 * 3600)
_designer_cache.setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 10000)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "designer": _designer_cache,
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins lock the username+address pair out for a while.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind the TLS proxy every request comes from the proxy's address, so the lockout counts by the
# client address the proxies report (orchestrator/client_address.py): TRUSTED_PROXY_COUNT is how
# many proxies stand in front, each appending to X-Forwarded-For; 0 ignores the header (direct).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 (no proxy) or the number of proxies in front.")
AXES_CLIENT_IP_CALLABLE = "orchestrator.client_address.client_address"

# Review: four eyes. Nobody (superusers included) approves a draft they created or changed since its
# latest approval; a one-person team may lift the rule.
REVIEW_ALLOW_SELF_APPROVAL = env.bool("REVIEW_ALLOW_SELF_APPROVAL", default=False)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Background work (publishing) goes through Django's tasks API onto a
# database-backed queue drained by `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env.str("ORCHESTRATOR_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

# Publishing (orchestrator/services/publishing.py). Every HTTP call to CX Sales
# has these timeouts and at most this many attempts (the client's back-off and
# Retry-After caps keep their defaults). A run whose worker has been silent for
# PUBLISH_STALE_SECONDS — longer than one read timeout plus the longest wait —
# counts as abandoned and can be resumed. The remote's describe is cached this long.
RETRY_AFTER_CAP_SECONDS = 60.0  # the longest a worker waits for a remote's Retry-After
BACKOFF_CAP_SECONDS = 20.0
CX_CLIENT_OPTIONS = {
    "connect_timeout": env.float("PUBLISH_CONNECT_TIMEOUT", default=5.0),
    "read_timeout": env.float("PUBLISH_READ_TIMEOUT", default=30.0),
    "max_attempts": env.int("PUBLISH_MAX_ATTEMPTS", default=5),
    "retry_after_cap": RETRY_AFTER_CAP_SECONDS,
    "backoff_cap": BACKOFF_CAP_SECONDS,
}
PUBLISH_STALE_SECONDS = env.int("PUBLISH_STALE_SECONDS", default=180)
# A worker writes its heartbeat after an exchange at most this often (a publish at 50 ms per request
# would otherwise write one per request); before a retry it always does.
PUBLISH_HEARTBEAT_SECONDS = 1.0
# A live worker can be silent for one whole attempt plus the longest wait before the next one (and up
# to one heartbeat interval before that); a threshold below that lets a resume take over a run whose
# worker is only waiting (issue 12, F9).
_LONGEST_SILENCE = (
    CX_CLIENT_OPTIONS["connect_timeout"]
    + CX_CLIENT_OPTIONS["read_timeout"]
    + max(RETRY_AFTER_CAP_SECONDS, BACKOFF_CAP_SECONDS)
    + PUBLISH_HEARTBEAT_SECONDS
)
if PUBLISH_STALE_SECONDS <= _LONGEST_SILENCE:
    raise ImproperlyConfigured(
        f"PUBLISH_STALE_SECONDS ({PUBLISH_STALE_SECONDS}) must be longer than a live worker's longest silence: "
        f"PUBLISH_CONNECT_TIMEOUT + PUBLISH_READ_TIMEOUT + the {RETRY_AFTER_CAP_SECONDS:.0f} s Retry-After cap "
        f"+ the {PUBLISH_HEARTBEAT_SECONDS:.0f} s heartbeat interval = {_LONGEST_SILENCE:.0f} s. "
        "Raise it, or lower the timeouts."
    )
CX_DESCRIBE_CACHE_SECONDS = env.int("PUBLISH_DESCRIBE_CACHE_SECONDS", default=3600)
# The shape of CX Sales the built-in sandbox plays (orchestrator/remote/emulator_profiles.py):
# "documented" reads the contract as written, "strict" the pessimistic reading of a real pod.
SANDBOX_PROFILE = env.str("SANDBOX_PROFILE", default="documented")
if SANDBOX_PROFILE not in ("documented", "strict"):
    raise ImproperlyConfigured(f"SANDBOX_PROFILE must be documented or strict, not {SANDBOX_PROFILE!r}.")

# Content-Security-Policy (Django's ContentSecurityPolicyMiddleware): only our own files run and
# style the pages. No inline script, style or event-handler attribute exists in the templates (a
# test keeps it so), and htmx is configured not to need one (base.html: allowEval false,
# includeIndicatorStyles false, selfRequestsOnly true). Pico CSS draws its icons as data: SVG
# images, hence data: for images only. Nothing may frame the pages, as X-Frame-Options says too.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Powerful browser features none of the pages uses (orchestrator/middleware.py sends it).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz must answer plain HTTP probes from the load balancer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Logs: plain lines for people, or DJANGO_LOG_FORMAT=json for a log pipeline (orchestrator/logs.py):
# one JSON object per request and per remote exchange, credentials redacted from every field.
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
if LOG_FORMAT == "json":
    MIDDLEWARE = ["orchestrator.logs.RequestLogMiddleware", *MIDDLEWARE]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "orchestrator.redaction.RedactSecretsFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "orchestrator.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "urllib3": {"level": "WARNING"},
    },
}
