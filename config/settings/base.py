"""Settings shared by every environment. Everything that differs between machines comes from the environment.

Defaults point at the embedded services that `make run` starts under MURMUR_DATA_DIR, so a developer needs
no configuration; production sets DATABASE_URL, REDIS_URL, VLLM_BASE_URL, DJANGO_SECRET_KEY and friends.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from apps.core.crypto import key_file, load_keys

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("MURMUR_DATA_DIR", BASE_DIR / ".data")).resolve()


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Personal data (original texts, authors, uploaded files, exports) is encrypted at rest with these keys
# (apps/core/crypto.py). Loaded here so a missing or malformed key stops every process at start-up.
MURMUR_ENCRYPTION_KEYS = load_keys(os.environ.get("MURMUR_ENCRYPTION_KEYS"), key_file(DATA_DIR))

DEBUG = env_bool("DJANGO_DEBUG", False)


def secret_key_file(data_dir: Path) -> Path:
    """Where `make run` keeps the SECRET_KEY it generated (mode 0600; workers/launcher.py writes it)."""
    return data_dir / "secrets" / "django-secret.key"


def load_secret_key(raw: str | None, fallback_file: Path, debug: bool) -> str:
    """DJANGO_SECRET_KEY; else the key `make run` generated (so `manage.py` commands in a development checkout
    sign with the same key as the running app); else, with DEBUG on only, a fixed development key. With DEBUG off
    that fixed key is public (it is in this file): sessions, password-reset links and CSRF tokens signed with it
    could be forged, so a process without a real key refuses to start instead."""
    if (raw or "").strip():
        return raw.strip()
    if fallback_file.is_file() and (stored := fallback_file.read_text().strip()):
        return stored
    if debug:
        return "dev-only-insecure-key-change-me-in-production-0123456789"
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set and DEBUG is off. Set it to a long random value, the same for every process "
        "(web, workers, beat), e.g. export DJANGO_SECRET_KEY=\"$(python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')\"; `make run` generates one into "
        f"{fallback_file}. For local development only, DJANGO_DEBUG=true uses a fixed insecure key."
    )


SECRET_KEY = load_secret_key(os.environ.get("DJANGO_SECRET_KEY"), secret_key_file(DATA_DIR), DEBUG)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its templates and static files: /api/v1/docs serves Swagger UI itself (the CSP allows no CDN)
    "django_celery_beat",
    "django_htmx",  # htmx 2 as a static file (pages swap in server-rendered partials; no CDN for the CSP)
    "apps.accounts",
    "apps.jobs",
    "apps.llm",
    "apps.corpus",
    # Before embeddings: receivers of `texts_committed` run in app order, and sentiment must be stored before
    # the embedding tasks are queued, whose last one marks the import succeeded (pages then show sentiment).
    "apps.insights",
    "apps.embeddings",
    "apps.moderation",
    "apps.search",
    "apps.copy",
    "apps.dashboard",
    "apps.privacy",
    "apps.replies",
    "apps.translation",  # after replies: job kinds register in app order (reply_drafts, then translations)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: a partial asked for by htmx, not a page
    "apps.accounts.middleware.ThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.accounts.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "apps.accounts.context_processors.workspace",
                "apps.dashboard.context_processors.llm_banner",
            ],
        },
    },
]


def _embedded_database_url() -> str:
    socket_dir = quote(str(DATA_DIR / "postgres" / "run"), safe="")
    return f"postgresql://murmur@{socket_dir}:{env_int('MURMUR_PG_PORT', 5544)}/murmur"


DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _embedded_database_url())}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL") or f"redis+socket://{DATA_DIR / 'redis' / 'redis.sock'}"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

def _cache_location(url: str) -> str:
    # Celery spells a Unix socket redis+socket:///path; redis-py spells it unix:///path.
    return "unix://" + url.removeprefix("redis+socket://") if url.startswith("redis+socket://") else url


# Redis: throttles and caches are shared by every web and worker process.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_location(REDIS_URL),
                      "KEY_PREFIX": "murmur"}}
# Login throttle (apps/accounts/throttle.py): failed logins only, per username and per client address, each
# bucket locked for the rest of its window (which starts at its first failure) once it reaches its limit. The
# address limit is higher: an office or a mobile carrier puts many people behind one address.
MURMUR_LOGIN_ATTEMPTS = env_int("MURMUR_LOGIN_ATTEMPTS", 10)
MURMUR_LOGIN_IP_ATTEMPTS = env_int("MURMUR_LOGIN_IP_ATTEMPTS", 50)
MURMUR_LOGIN_WINDOW_S = env_int("MURMUR_LOGIN_WINDOW_S", 300)


def trusted_proxy_list(name: str) -> list[str]:
    """Addresses or networks (CIDR) of the reverse proxies in front of the web processes. Only a request whose
    peer is one of them has its X-Forwarded-For read (the right-most entry that is not one of them is the
    client); anyone else could write that header. A typo stops start-up rather than silently trusting nobody."""
    entries = env_list(name)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated IP addresses or CIDR networks, got {entry!r}") from exc
    return entries


MURMUR_TRUSTED_PROXIES = trusted_proxy_list("MURMUR_TRUSTED_PROXIES")
MURMUR_API_REQUESTS_PER_MINUTE = env_int("MURMUR_API_REQUESTS_PER_MINUTE", 600)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Celery (see workers/ for queues and routing) ---
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1700)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 200)
# A task lost with its worker comes back after the visibility timeout: keep it just above the hard limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 1900)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing waits out a broker restart of ~10 s (then the job fails with a sentence and can be retried).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 10, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# --- Murmur ---
MURMUR_MAX_UPLOAD_BYTES = env_int("MURMUR_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
MURMUR_MAX_TEXT_CHARS = env_int("MURMUR_MAX_TEXT_CHARS", 20_000)
MURMUR_MAX_IMPORT_ROWS = env_int("MURMUR_MAX_IMPORT_ROWS", 200_000)
MURMUR_IMPORT_BATCH_SIZE = env_int("MURMUR_IMPORT_BATCH_SIZE", 2000)
MURMUR_EMBED_BATCH_SIZE = env_int("MURMUR_EMBED_BATCH_SIZE", 256)
MURMUR_DEFAULT_EMBEDDING_MODEL = os.environ.get("MURMUR_EMBEDDING_MODEL", "minilm-l6")
# Search hides results less similar than this as "weaker matches" (chosen with bench/quality/search.py)
MURMUR_SEARCH_MIN_SIMILARITY = {"minilm-l6": 0.35, "use-multilingual": 0.25}
MURMUR_EXPORT_TTL_DAYS = env_int("MURMUR_EXPORT_TTL_DAYS", 7)  # finished exports are deleted after this
MURMUR_ERASURE_MAX_MATCHES = env_int("MURMUR_ERASURE_MAX_MATCHES", 5000)  # a broader search must be narrowed

# LLM gateway: one or more OpenAI-compatible (vLLM) servers, comma separated.
VLLM_BASE_URLS = env_list("VLLM_BASE_URL", "http://127.0.0.1:8100/v1")
VLLM_API_KEY = os.environ.get("VLLM_API_KEY", "")
MURMUR_LLM_MODEL = os.environ.get("MURMUR_LLM_MODEL", "qwen2.5-coder-1.5b")
LLM_MAX_CONCURRENCY_PER_SERVER = env_int("LLM_MAX_CONCURRENCY_PER_SERVER", 8)
# CPU serving of a 1.5B model writes ~3-10 tokens/s: a long report needs minutes. A timeout aborts the
# request on the server, so a too-short one only wastes work.
LLM_REQUEST_TIMEOUT_S = env_int("LLM_REQUEST_TIMEOUT_S", 900)
LLM_MAX_ATTEMPTS = env_int("LLM_MAX_ATTEMPTS", 3)
# A model call a web request waits on (playground, a text's translation, the judge of an edit): one attempt,
# at most this long in all, then a clear 503; and at most this many such calls per user per minute.
LLM_SYNC_TIMEOUT_S = env_int("LLM_SYNC_TIMEOUT_S", 30)
MURMUR_LLM_SYNC_CALLS_PER_MINUTE = env_int("MURMUR_LLM_SYNC_CALLS_PER_MINUTE", 10)
# Texts per analysis whose sentiment the model labels (the classifier's least confident first). On the CPU
# default model each ten texts cost about a minute; a GPU server can label every text (set it high).
MURMUR_LLM_LABEL_BUDGET = env_int("MURMUR_LLM_LABEL_BUDGET", 40)
# How often an analysis asks again when an answer cites texts it was not shown (then drops what is unsupported).
MURMUR_EVIDENCE_ATTEMPTS = env_int("MURMUR_EVIDENCE_ATTEMPTS", 3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
