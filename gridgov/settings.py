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
    host: str = "127.0.0.1"
    port: int = 8000


@lru_cache
def get_settings() -> Settings:
    return Settings()
