"""Configuration from the environment (``GRIDGOV_*`` variables).

Every setting has a working default so that ``make demo`` runs with nothing configured: the
embedded SQLite file under ``var/`` is the default database.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path.cwd()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'gridgov.db'}",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    var_dir: Path = Field(default=PROJECT_ROOT / "var", description="Runtime files (uploads, caches)")
    secret_key: str = Field(default="dev-only-change-me", description="Signs CSRF tokens; set in production")
    # Password hashing (argon2id). Production defaults follow RFC 9106's second recommendation.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 2
    # Sessions and tokens.
    session_hours: int = 12
    token_hours: int = 24
    cookie_secure: bool = False
    # Lockout: this many failures within the window lock the account for lockout_minutes.
    lockout_failures: int = 5
    lockout_window_minutes: int = 15
    lockout_minutes: int = 15
    # Spatial.
    h3_resolution: int = Field(default=10, description="H3 resolution stored on every located row")
    public_url: str | None = Field(default=None, description="External base URL (behind a proxy), e.g. "
                                   "https://grid.example.gov.cn/ — used in printed QR posters")
    # Events.
    attachments_dir: Path = Field(default=PROJECT_ROOT / "var" / "attachments",
                                  description="Where event photos and documents are stored")
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, description="Largest accepted attachment")
    event_warn_share: float = Field(default=0.8, gt=0, lt=1,
                                    description="Warn when this share of a step's time limit has passed")
    event_sweep_seconds: int = Field(default=30, ge=1, description="How often the clock sweep runs")
    holidays_csv: Path | None = Field(default=None, description="Local holiday/make-up-workday rows laid over "
                                      "the packaged national calendar (date,kind,name[,scope])")
    work_hours: str = Field(default="08:30-12:00,14:00-17:30", description="Office hours of a working day")
    work_timezone: str = "Asia/Shanghai"
    event_clock_enabled: bool = Field(default=True, description="Run the clock sweep inside `gridgov serve`")
    # Rate limits of the endpoints anyone may call (gridgov.ratelimit): token buckets in each process.
    # Per client IP (self-declarations; status look-ups counted apart): `burst` at once, then
    # `per_minute`; per building declaration link likewise. A per-minute rate of 0 switches a limit off.
    public_rate_per_minute: float = Field(default=20, ge=0, description="Public requests per minute per client IP")
    public_rate_burst: int = Field(default=30, ge=1, description="Public requests a client IP may make at once")
    public_rate_token_per_minute: float = Field(default=10, ge=0,
                                                description="Declarations per minute per building link")
    public_rate_token_burst: int = Field(default=30, ge=1, description="Declarations at once per building link")
    # Open311 GeoReport v2.
    open311_jurisdiction: str | None = Field(default=None, description="jurisdiction_id this server answers to "
                                             "(e.g. grid.example.gov.cn); another value is a 404. Unset: any")
    open311_contact: str | None = Field(default=None, description="Open311 discovery: how to reach the operators")
    open311_key_service: str | None = Field(default=None, description="Open311 discovery: how to get an api_key")
    host: str = "127.0.0.1"
    port: int = 8000


@lru_cache
def get_settings() -> Settings:
    return Settings()
