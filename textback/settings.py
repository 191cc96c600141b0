"""Settings, read only from the environment (every name is TEXTBACK_*).

With nothing set, textback runs on a SQLite file under ./data/ with a secret key
generated once into that folder, so `make run` works on a fresh checkout.
"""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from textback.lib import client_ip, encryption
from textback.lib.env import SettingError, env, envbool, envfloat, envint, envlist

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("TEXTBACK_DATA_DIR", "data")).resolve()


def _secret_key() -> str:
    """Use TEXTBACK_SECRET_KEY, else a key generated once and kept in DATA_DIR."""
    key = env("TEXTBACK_SECRET_KEY")
    if key:
        return key
    from django.core.management.utils import get_random_secret_key

    path = DATA_DIR / "secret-key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _encryption_keys() -> list[bytes]:
    """TEXTBACK_ENCRYPTION_KEY's keys: the first encrypts, all decrypt, and so does the key derived from
    the secret key, which stands in when none is set (textback/providers/credentials.py)."""
    try:
        return encryption.parse_keys(env("TEXTBACK_ENCRYPTION_KEY", ""))
    except ValueError as exc:
        raise SettingError(f"TEXTBACK_ENCRYPTION_KEY: {exc}") from None


ENCRYPTION_KEYS = _encryption_keys()
DEBUG = envbool("TEXTBACK_DEBUG", False)

PUBLIC_URL = env("TEXTBACK_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
_public_host = urlsplit(PUBLIC_URL).hostname or "127.0.0.1"
ALLOWED_HOSTS = envlist("TEXTBACK_ALLOWED_HOSTS", [_public_host, "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = [f"{urlsplit(PUBLIC_URL).scheme}://{urlsplit(PUBLIC_URL).netloc}"]
if PUBLIC_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _trusted_proxies() -> tuple:
    """The proxies whose X-Forwarded-For we believe (the login throttle counts per client address)."""
    try:
        return client_ip.parse_networks(envlist("TEXTBACK_TRUSTED_PROXIES", []))
    except client_ip.InvalidNetwork as exc:
        raise SettingError(f"TEXTBACK_TRUSTED_PROXIES: {exc}") from None


TRUSTED_PROXIES = _trusted_proxies()

TWILIO_API_URL = env("TEXTBACK_TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
PROVIDER_TIMEOUT = envfloat("TEXTBACK_PROVIDER_TIMEOUT", 10.0)
METRICS_TOKEN = env("TEXTBACK_METRICS_TOKEN")
# Alert webhooks post only to public internet addresses unless the operator allows private ones (a self-hosted
# install posting to a chat server on its own network). A shared install leaves this off.
ALLOW_PRIVATE_WEBHOOKS = envbool("TEXTBACK_ALLOW_PRIVATE_WEBHOOKS", False)
# /api/v1: requests per minute per token, counted in the database (textback/api/tokens.py).
API_RATE_PER_MINUTE = envint("TEXTBACK_API_RATE_PER_MINUTE", 120)

# The outbox (ARCHITECTURE §5).
OUTBOX_LEASE_SECONDS = envint("TEXTBACK_OUTBOX_LEASE_SECONDS", 60)
OUTBOX_BATCH = envint("TEXTBACK_OUTBOX_BATCH", 50)
WORKER_THREADS = envint("TEXTBACK_WORKER_THREADS", 4)
WORKER_ALERT_THREADS = envint("TEXTBACK_WORKER_ALERT_THREADS", 4)  # email and webhooks: their own threads

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "textback.accounts",
    "textback.providers",
    "textback.providers.sandbox",
    "textback.messaging",
    "textback.calls",
    "textback.outbox",
    "textback.inbox",
    "textback.ops",
    "textback.alerts",
    "textback.rules",
    "textback.reports",
    "textback.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "textback.inbox.middleware.content_security_policy",  # outside the rest, so it sees every page they make
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "textback.inbox.middleware.fresh_time_zone",
]

ROOT_URLCONF = "textback.urls"
WSGI_APPLICATION = "textback.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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


def _database() -> dict:
    url = env("TEXTBACK_DATABASE_URL", f"sqlite:///{DATA_DIR / 'textback.sqlite3'}")
    config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "textback.lib.sqlite"  # threads of a process queue for the write lock
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["CONN_MAX_AGE"] = 0 if config["NAME"] == ":memory:" else None
        config["OPTIONS"] = {
            # One writer at a time, taken at BEGIN, so a claim never deadlocks on upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
        }
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Server-side binding lets psycopg prepare the statements a webhook repeats every time.
        config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
    config["TEST"] = {"NAME": env("TEXTBACK_TEST_DATABASE_NAME")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
CSRF_FAILURE_VIEW = "textback.inbox.views.csrf_failure"  # Django's own page has inline style, which the CSP blocks
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Webhooks are small; anything larger is not from a carrier.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("TEXTBACK_STATIC_ROOT")  # only for `textback collectstatic`; WhiteNoise serves from the apps
STORAGES = {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("TEXTBACK_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # one INFO line per provider request is noise, and costs time
        "httpcore": {"level": "WARNING"},
    },
}

# Email: through the SMTP server of TEXTBACK_EMAIL_URL, from TEXTBACK_EMAIL_FROM; with no URL, into the
# sandbox mailbox (a page of the staff app), so a new install shows its invitations and alerts at once.
EMAIL_URL = env("TEXTBACK_EMAIL_URL")
DEFAULT_FROM_EMAIL = env("TEXTBACK_EMAIL_FROM", f"textback <textback@{_public_host}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = envint("TEXTBACK_EMAIL_TIMEOUT", 20)
if EMAIL_URL:
    from textback.lib import email_url

    _smtp = email_url.parse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = _smtp.host, _smtp.port
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _smtp.user, _smtp.password
    EMAIL_USE_TLS, EMAIL_USE_SSL = _smtp.use_tls, _smtp.use_ssl
else:
    EMAIL_BACKEND = "textback.providers.sandbox.mail.MailboxBackend"
