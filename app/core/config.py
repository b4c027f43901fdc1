"""Settings from the environment (prefix ``KAM_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

if TYPE_CHECKING:
    from app.ops.egress import EgressPolicy

DEV_SECRET = "dev-secret-do-not-use-in-production"
DEFAULT_DATABASE_URL = "sqlite:///var/kam.db"


class Settings(BaseSettings):
    """Every setting of the service; see the README for what each one does."""

    model_config = SettingsConfigDict(
        env_prefix="KAM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production", "test"] = "development"
    secret_key: str = DEV_SECRET
    database_url: str = DEFAULT_DATABASE_URL
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    mail_from: str = "KAM Assess <no-reply@localhost>"
    norm_min_n: int = Field(default=100, ge=2)
    # One database connection per thread serving sync endpoints: a request holds at most one
    # connection, so with pool size == thread count nobody can wait for a connection forever.
    # Few threads: one process runs Python on one core at a time, and more threads only
    # contend for it (docs/benchmarks.md measured 4 against 8 and 20); scale with workers.
    worker_threads: int = Field(default=4, ge=1, le=200)
    session_hours: int = Field(default=12, ge=1)
    api_token_hours: int = Field(default=8, ge=1)
    login_max_failures: int = Field(default=10, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    default_language: Literal["it", "en"] = "en"
    metrics_token: str | None = Field(default=None, min_length=16)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # JSON lines for log collectors; "auto" is readable text in development, JSON otherwise.
    log_format: Literal["json", "text", "auto"] = "auto"
    # Networks webhooks may reach besides public addresses (an on-premise receiver), as a
    # comma-separated CIDR list; empty: public addresses only (app/ops/egress.py).
    webhook_allow_networks: str = ""
    # The longest wait between two sections before the next one starts by itself (no time can
    # be banked); load tests that run a day ten times faster shorten it with the day.
    section_break_seconds: int = Field(default=300, ge=0, le=3600)

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                f"KAM_DATABASE_URL is not a valid database URL ({exc}); "
                "use sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/db"
            ) from None
        backend = url.get_backend_name()
        if backend == "postgres" or (backend == "postgresql" and url.drivername == "postgresql"):
            url = url.set(drivername="postgresql+psycopg")
        elif backend not in ("sqlite", "postgresql"):
            raise ValueError(
                f"KAM_DATABASE_URL uses {backend!r}; KAM Assess supports sqlite and postgresql"
            )
        if backend == "sqlite" and not url.database:
            raise ValueError(
                "KAM_DATABASE_URL names no SQLite file; in-memory databases are not supported"
            )
        return url.render_as_string(hide_password=False)

    @field_validator("webhook_allow_networks")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        from app.ops.egress import parse_networks

        try:
            parse_networks(value)
        except ValueError as exc:
            raise ValueError(
                f"KAM_WEBHOOK_ALLOW_NETWORKS: {exc}; give CIDR networks such as "
                "10.20.0.0/16, 192.168.5.7/32"
            ) from None
        return value

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        weak = self.secret_key == DEV_SECRET or len(self.secret_key) < 32
        if self.env == "production" and weak:
            raise ValueError(
                "KAM_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def json_logs(self) -> bool:
        """Whether log lines are JSON objects (see ``log_format``)."""
        return self.log_format == "json" or (
            self.log_format == "auto" and self.env != "development"
        )

    @property
    def webhook_egress(self) -> EgressPolicy:
        """Where webhooks may connect: public addresses and the allowed networks."""
        from app.ops.egress import EgressPolicy, parse_networks

        return EgressPolicy(allowed=parse_networks(self.webhook_allow_networks))

    @property
    def is_sqlite(self) -> bool:
        """True when the database is an embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        """Cookies get the Secure flag when the service is served over https."""
        return self.base_url.startswith("https://")

    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None on PostgreSQL."""
        if not self.is_sqlite:
            return None
        return Path(make_url(self.database_url).database or "")


def settings_errors(exc: ValidationError) -> list[str]:
    """One line per bad setting, naming its environment variable (the CLIs print these)."""
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"configuration error: KAM_{field.upper()}: {message}")
    return lines


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
