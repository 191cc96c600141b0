"""Tiny typed readers for settings from the environment.

Every reader also accepts NAME_FILE, the path of a file holding the value, so
secrets can come from Docker/Kubernetes secret mounts instead of the environment.
"""

import os
from pathlib import Path


class SettingError(ValueError):
    """An environment variable holds a value we cannot use."""


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None and os.environ.get(f"{name}_FILE"):
        value = Path(os.environ[f"{name}_FILE"]).read_text().strip()
    return default if value in (None, "") else value


def envbool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingError(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = env(name)
    try:
        return default if value is None else int(value)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {value!r}") from None


def envfloat(name: str, default: float) -> float:
    value = env(name)
    try:
        return default if value is None else float(value)
    except ValueError:
        raise SettingError(f"{name} must be a number, not {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
