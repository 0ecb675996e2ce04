"""Typed readers for environment variables that fail loudly on bad values."""

from __future__ import annotations

import os
import zoneinfo

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: str) -> bool:
    """Return the variable as a boolean; raise ImproperlyConfigured on anything else."""
    value = os.getenv(name, default).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def envint(name: str, default: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return the variable as an integer; raise ImproperlyConfigured if it is not one."""
    raw = os.getenv(name, default).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}; got {value}")
    return value


def envlist(name: str, default: str) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def envstr(name: str, default: str) -> str:
    """Return the variable as a string, stripped."""
    return os.getenv(name, default).strip()


def envzone(name: str, default: str) -> str:
    """Return the variable as an IANA time zone name (Asia/Tokyo); raise ImproperlyConfigured if none is known by it."""
    value = envstr(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} must be a time zone name such as Asia/Tokyo; got {value!r}") from None
    return value
