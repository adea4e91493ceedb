"""One typed settings object, read from ``C3P_*`` environment variables.

Every field carries its description; ``docs/settings.md`` is checked against them by a test.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("c3p", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="C3P_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for the embedded SQLite database and generated files.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database; default: SQLite file c3p.sqlite3 in data_dir. "
        "PostgreSQL: postgresql+psycopg://user:pass@host/db.",
    )
    host: str = Field("127.0.0.1", description="Address `c3p serve` listens on.")
    port: int = Field(8000, description="Port `c3p serve` listens on.")
    default_language: str = Field("ja", description="UI language when the browser states none (ja or en).")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'c3p.sqlite3'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
