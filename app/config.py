"""Settings read once from the environment: `TEND_*` variables plus `DATABASE_URL`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        msg = f"{name} must be a whole number, got {raw!r}"
        raise SystemExit(msg) from exc


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    if not raw:
        return default
    if raw in _TRUE | _FALSE:
        return raw in _TRUE
    msg = f"{name} must be true or false, got {raw!r}"
    raise SystemExit(msg)


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in _env(name).split(",") if item.strip())


def async_url(url: str) -> str:
    """The SQLAlchemy URL for asyncpg, from a plain `postgresql://` URL."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def plain_url(url: str) -> str:
    """The libpq-style URL asyncpg itself accepts."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def url_user(url: str) -> str:
    return urlsplit(plain_url(url)).username or ""


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    env: str = "development"
    trusted_proxies: tuple[str, ...] = ()
    """Addresses (or networks) of the reverse proxies whose X-Forwarded-For and
    X-Forwarded-Proto are believed (TEND_TRUSTED_PROXIES); none: every header is ignored."""

    @property
    def production(self) -> bool:
        return self.env == "production"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""
    """The app role's URL (DATABASE_URL); empty means: start the embedded PostgreSQL."""
    owner_url: str = ""
    """The owner role's URL for migrations (DATABASE_OWNER_URL); defaults to `url`."""
    pool_size: int = 10
    max_overflow: int = 10

    @property
    def embedded(self) -> bool:
        return not self.url

    @property
    def migrations_url(self) -> str:
        return self.owner_url or self.url


@dataclass(frozen=True)
class MailSettings:
    smtp_url: str = ""
    """smtp://user:pass@host:587 or smtps://…; empty: invitations are only shown, not sent."""
    sender: str = ""


@dataclass(frozen=True)
class BillingSettings:
    self_hosted: bool = True
    """Self-hosted: a care account's administrator picks its plan in the plan page.
    Otherwise the provider sets plans, and the page only shows them."""


@dataclass(frozen=True)
class JobSettings:
    concurrency: int = 10
    """Jobs one worker runs at once (TEND_JOB_CONCURRENCY)."""
    heartbeat_seconds: int = 30
    """A job whose worker has not beaten for this long is taken again (its worker died)."""


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    billing: BillingSettings = field(default_factory=BillingSettings)
    jobs: JobSettings = field(default_factory=JobSettings)
    data_dir: Path = Path(".tend")
    default_locale: str = "en"
    public_url: str = ""
    """The address people reach Tend at (links in emails); else the request's own."""

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            server=ServerSettings(
                host=_env("TEND_HOST", "127.0.0.1"),
                port=_env_int("TEND_PORT", 8000),
                workers=_env_int("TEND_WORKERS", 1),
                env=_env("TEND_ENV", "development"),
                trusted_proxies=_env_list("TEND_TRUSTED_PROXIES"),
            ),
            database=DatabaseSettings(
                url=_env("DATABASE_URL"),
                owner_url=_env("DATABASE_OWNER_URL"),
                pool_size=_env_int("TEND_DB_POOL_SIZE", 10),
                max_overflow=_env_int("TEND_DB_MAX_OVERFLOW", 10),
            ),
            mail=MailSettings(smtp_url=_env("TEND_SMTP_URL"), sender=_env("TEND_SMTP_FROM")),
            billing=BillingSettings(self_hosted=_env_bool("TEND_SELF_HOSTED", True)),
            jobs=JobSettings(
                concurrency=_env_int("TEND_JOB_CONCURRENCY", 10),
                heartbeat_seconds=_env_int("TEND_JOB_HEARTBEAT_SECONDS", 30),
            ),
            public_url=_env("TEND_PUBLIC_URL").rstrip("/"),
            data_dir=Path(_env("TEND_DATA_DIR", ".tend")).expanduser().resolve(),
            default_locale=_env("TEND_DEFAULT_LOCALE", "en"),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
