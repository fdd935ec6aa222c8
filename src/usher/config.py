"""Settings from the environment (prefix ``USHER_``), validated once at start-up."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="USHER_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    smtp_url: str = ""
    mail_from: str = "Usher <no-reply@usher.localhost>"
    redis_url: str = ""

    # Sessions: a new one at every sign-in, ended by idle timeout or absolute lifetime.
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    password_reset_minutes: int = Field(default=30, ge=1)

    # Rate limits, in the `limits` package's notation ("10/minute", "5 per 15 minutes").
    rate_limit_login_ip: str = "30/minute"
    rate_limit_login_account: str = "10 per 15 minutes"
    rate_limit_reset_ip: str = "10/minute"
    rate_limit_reset_account: str = "5/hour"
    rate_limit_invite_ip: str = "120/minute"
    rate_limit_invite_account: str = "300/hour"
    rate_limit_invitation_request_ip: str = "10/hour"
    rate_limit_invitation_request_account: str = "3/day"

    # Outbox worker.
    mail_poll_seconds: float = Field(default=1.0, gt=0)
    mail_retry_base_seconds: float = Field(default=5.0, gt=0)
    mail_retry_max_seconds: float = Field(default=900.0, gt=0)
    mail_lease_seconds: float = Field(default=120.0, gt=0)
    mail_batch_size: int = Field(default=20, ge=1)

    # Bulk imports: limits on what one upload may hold, and the job's lease and polling.
    import_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(default=2_000_000, ge=1)
    import_lease_seconds: float = Field(default=60.0, gt=0)
    import_poll_seconds: float = Field(default=1.0, gt=0)
    import_max_attempts: int = Field(default=3, ge=1)
    # Finished imports (their files, reports and rejected rows) are deleted after this long.
    import_retention_days: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'usher.db').resolve()}"
        self.base_url = self.base_url.rstrip("/")
        if urlsplit(self.base_url).scheme not in {"http", "https"}:
            raise ValueError("USHER_BASE_URL must be an http:// or https:// URL")
        if not self.secret_key:
            if self.env == "production":
                raise ValueError("USHER_SECRET_KEY is required when USHER_ENV=production")
            self.secret_key = _development_secret(self.var_dir)
        return self

    @property
    def is_secure(self) -> bool:
        """Cookies get Secure and the ``__Host-`` prefix when served over HTTPS or in production."""
        return self.env == "production" or self.base_url.startswith("https://")

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"


def _development_secret(var_dir: Path) -> str:
    """A random key kept under ``var/`` so development sessions survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
