"""Settings of the example backend, read from the process environment.

Every value an environment changes comes from an environment variable, so the
same image runs in the sandbox, staging and production.
"""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"set the {name} environment variable")
    return value


def _listed(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = _required("SECRET_KEY")
SECRET_KEY_FALLBACKS = _listed("SECRET_KEY_FALLBACKS")
DEBUG = _flag("DEBUG")
ALLOWED_HOSTS = _listed("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

CORS_ALLOWED_ORIGINS = _listed("CORS_ALLOWED_ORIGINS")
CSRF_TRUSTED_ORIGINS = _listed("CSRF_TRUSTED_ORIGINS")

DATABASES = {
    "default": dj_database_url.parse(
        _required("DATABASE_URL"), conn_max_age=60, conn_health_checks=True
    )
}
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

# Only apps without tables, so the app starts without running migrations.
INSTALLED_APPS = ["corsheaders"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shipyard_demo.urls"
WSGI_APPLICATION = "shipyard_demo.wsgi.application"

# The hosting platform terminates TLS and says so in this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
