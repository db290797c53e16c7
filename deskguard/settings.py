"""deskguard settings: one module, every knob an environment variable.

`DESKGUARD_ENV=local` (the default) is for a laptop: plain http on 127.0.0.1, a
SECRET_KEY and TOTP key generated once into var/. `DESKGUARD_ENV=production`
refuses to start without explicit secrets and turns on secure cookies and HSTS.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DESKGUARD_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DESKGUARD_ENV = env("DESKGUARD_ENV", "local")
if DESKGUARD_ENV not in {"local", "production"}:
    raise ImproperlyConfigured("DESKGUARD_ENV must be 'local' or 'production'")
LOCAL = DESKGUARD_ENV == "local"
DEBUG = env_bool("DEBUG", False)
if DEBUG and not LOCAL:
    # Debug pages show settings and stack frames, and SECURE below turns Secure
    # cookies and HSTS off with DEBUG: never on a production server.
    raise ImproperlyConfigured(
        "DEBUG must be off when DESKGUARD_ENV=production (unset it or set DEBUG=false)"
    )


def local_secret(name: str, make: str) -> str:
    """A secret generated once into var/ so a laptop needs no configuration.

    Production must set the variable: a generated file on one machine would
    differ from another machine's and break sessions and encrypted secrets.
    """
    if not LOCAL:
        raise ImproperlyConfigured(f"{name} must be set when DESKGUARD_ENV=production")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name.lower()
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make)
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY") or local_secret("SECRET_KEY", secrets.token_urlsafe(50))


def fernet_keys_checked(keys: list[str]) -> list[str]:
    """I9: a malformed key used to fail at the first enrolment or sign-in that needed
    it (an older key: at the first sign-in of an account it encrypted). Refuse to start
    instead, naming the key by position and never printing it."""
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, UnicodeError) as exc:
            raise ImproperlyConfigured(
                f"TOTP_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a Fernet key "
                "(32 url-safe base64-encoded bytes, 44 characters); generate one with "
                "Fernet.generate_key() (see README.md)"
            ) from exc
    return keys


# RFC 2104 section 3: an HMAC key should be no shorter than the hash output, 32 bytes
# for SHA-256 (secrets.token_urlsafe(32) gives 43 characters). Printable ASCII without
# spaces rules out copy-and-paste accidents: a trailing newline, a space, or bytes that
# are not UTF-8, which made `.encode()` fail at the first recovery code.
HMAC_KEY_MIN_LENGTH = 32
HMAC_KEY_FORMAT = re.compile(r"[\x21-\x7e]+")


def hmac_key_checked(key: str) -> str:
    if len(key) < HMAC_KEY_MIN_LENGTH or not HMAC_KEY_FORMAT.fullmatch(key):
        raise ImproperlyConfigured(
            f"RECOVERY_CODE_HMAC_KEY must be at least {HMAC_KEY_MIN_LENGTH} characters of "
            "printable ASCII without spaces; generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return key


# F1: TOTP secrets (and SSO client secrets) are encrypted with these Fernet keys,
# newest first; older keys still decrypt until `manage.py rotate_totp_keys` ran.
TOTP_ENCRYPTION_KEYS = fernet_keys_checked(
    env_list("TOTP_ENCRYPTION_KEYS")
    or [local_secret("TOTP_ENCRYPTION_KEYS", Fernet.generate_key().decode())]
)
# F2: recovery codes are stored as HMAC-SHA256 under this key, kept outside the DB.
RECOVERY_CODE_HMAC_KEY = hmac_key_checked(
    env("RECOVERY_CODE_HMAC_KEY")
    or local_secret("RECOVERY_CODE_HMAC_KEY", secrets.token_urlsafe(32))
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if LOCAL else "")
if not LOCAL and not ALLOWED_HOSTS:
    # Django answers 400 to every request whose Host is not listed: an empty list
    # is a site that is down while looking up.
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list the site's host names when DESKGUARD_ENV=production "
        "(e.g. ALLOWED_HOSTS=help.example.com)"
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SITE_NAME = env("DESKGUARD_SITE_NAME", "deskguard")
# Also the WebAuthn relying party (twofactor/webauthn.py): https, or localhost.
BASE_URL = env("DESKGUARD_BASE_URL", "http://localhost:8000").rstrip("/")
# Number of reverse proxies in front of the app whose X-Forwarded-For is trusted
# for the client address used by throttling and the audit log (0 = REMOTE_ADDR).
TRUSTED_PROXY_COUNT = int(env("DESKGUARD_TRUSTED_PROXY_COUNT", "0"))

# Seconds to wait for an SSO provider (discovery, token, keys) before giving up.
SSO_HTTP_TIMEOUT = float(env("SSO_HTTP_TIMEOUT", "5"))
# I3: a provider's discovery document and keys are kept this long in the database
# (shared by every process) before they are fetched again; an ID token signed with
# an unknown key fetches the keys sooner (at most once a minute).
SSO_METADATA_CACHE_SECONDS = int(env("SSO_METADATA_CACHE_SECONDS", "3600"))
# I3: after this many consecutive failed calls to a provider (timeouts, refused
# connections, error statuses) calls fail at once for SSO_BREAKER_COOLDOWN seconds;
# then one trial call decides whether it is back.
SSO_BREAKER_FAILURES = int(env("SSO_BREAKER_FAILURES", "3"))
SSO_BREAKER_COOLDOWN = float(env("SSO_BREAKER_COOLDOWN", "30"))
# I3: at most this many requests, across all server processes, wait on one provider
# at a time; the others are told at once. Keep it below the number of workers.
SSO_MAX_CONCURRENT_CALLS = int(env("SSO_MAX_CONCURRENT_CALLS", "2"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "deskguard.accounts",
    "deskguard.twofactor",
    "deskguard.limits",
    "deskguard.outbox",
    "django_tasks",
    "django_tasks_db",
    "deskguard.audit",
    "deskguard.tickets",
    "deskguard.sso",
    "deskguard.portals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "deskguard.security.SecurityHeadersMiddleware",
    # Before anything that reads the body (the CSRF middleware reads the form).
    "deskguard.bodies.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "deskguard.accounts.middleware.TimeZoneMiddleware",
    "deskguard.accounts.middleware.LanguageMiddleware",
    "deskguard.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "deskguard.twofactor.middleware.TwoFactorPolicyMiddleware",
]

# I4: no view takes files, and the largest form (a 20,000-character ticket) is about
# 240 kB percent-encoded. A larger body is refused with a 413 before it is read, a file
# part in a smaller one with a 400 (deskguard/bodies.py); nothing reaches the disk.
MAX_REQUEST_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
FILE_UPLOAD_HANDLERS = ["deskguard.bodies.RefuseFileUploads"]

ROOT_URLCONF = "deskguard.urls"
WSGI_APPLICATION = "deskguard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "deskguard" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "deskguard.portals.context.portal",
            ],
        },
    }
]

DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # I5: a worker keeps its connection for a minute, and checks it with a round trip
    # at the first query of each request (CONN_HEALTH_CHECKS): a connection PostgreSQL
    # dropped (a restart, a failover, an idle timeout) is replaced instead of failing
    # that request with a 500.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(VAR_DIR / "deskguard.sqlite3")),
            # Each gunicorn worker keeps its connection: opening one and running the
            # pragmas below costs more than many a request.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # A web server's SQLite: readers never wait for the writer (WAL), and a
                # commit reaches the disk at checkpoints instead of at every commit
                # (synchronous=NORMAL). The trade: after a power cut (not a crash of
                # the process) the last commits before it may be lost; the database
                # stays consistent. It is the usual setting for SQLite behind a server.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
                # Write transactions take the lock up front, so two gunicorn workers
                # never deadlock upgrading a read lock. Every write transaction is
                # short: nothing slow (Argon2, SMTP) runs inside one.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["deskguard.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = ["deskguard.accounts.hashers.DeskguardArgon2Hasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password reset and invitation links: 3 days is long enough for an invitation
# to be read after a weekend, and the link dies as soon as it is used.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(12 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE = not LOCAL and not DEBUG
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_NAME = "__Host-dgsession" if SECURE else "dgsession"
CSRF_COOKIE_NAME = "__Host-dgcsrf" if SECURE else "dgcsrf"
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
X_FRAME_OPTIONS = "DENY"

# L4: English and German. The language of a request is the account's choice, else the
# browser's Accept-Language (deskguard.accounts.middleware); URLs carry no language.
# English stays the default for accounts and browsers that ask for nothing we have.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
# The catalogues' .po files are committed; the .mo files are built from them
# (`make compilemessages`, run by `make run`, `make test` and the test session).
LOCALE_PATHS = [BASE_DIR / "deskguard" / "locale"]
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "deskguard" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("DESKGUARD_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = LOCAL

# G3/H5: SMTP when EMAIL_HOST is set (or any backend named by EMAIL_BACKEND). Locally,
# without one, mail goes to files in var/mail/ (0600) and a one-line note on the
# console. Production refuses to start without a transport: a security notice that
# goes nowhere is worse than a server that does not start.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env("EMAIL_BACKEND")
if EMAIL_HOST:
    EMAIL_BACKEND = EMAIL_BACKEND or "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(env("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
elif not EMAIL_BACKEND:
    if not LOCAL:
        raise ImproperlyConfigured(
            "Production needs a mail transport: set EMAIL_HOST (SMTP) or EMAIL_BACKEND."
        )
    EMAIL_BACKEND = "deskguard.outbox.backends.LocalFolderBackend"
# Backends that print bodies (recovery codes, one-time links) or drop them.
_UNSAFE_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
if not LOCAL and EMAIL_BACKEND in _UNSAFE_MAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND={EMAIL_BACKEND} prints or drops mail; production needs a real transport."
    )
# Seconds the worker waits on the mail server; a hung server costs one worker this long.
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))
EMAIL_FILE_PATH = env("DESKGUARD_MAIL_DIR", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <no-reply@deskguard.local>")

LOGIN_URL = "customer:signin"

# Background work (mail delivery, H1) through Django's task API on the database backend:
# `manage.py db_worker --queue-name '*'` runs it; any number of workers share the queue.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail", "exports"],
    }
}
# J3: audit exports are written here by the worker (files 0600 in a 0700 folder), offered
# to administrators for this many hours, then removed by `manage.py purge_audit_exports`.
EXPORT_DIR = Path(env("DESKGUARD_EXPORT_DIR", str(VAR_DIR / "exports")))
EXPORT_KEEP_HOURS = int(env("DESKGUARD_EXPORT_KEEP_HOURS", "24"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per task start and end is noise beside the access log; failures stay.
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
