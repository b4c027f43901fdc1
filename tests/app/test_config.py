"""Settings: KAM_ prefix, validated database URL, no default secret in production."""

import pytest
from pydantic import ValidationError

from app.core.config import DEV_SECRET, Settings


def test_defaults_are_an_embedded_sqlite_database_in_development(monkeypatch):
    monkeypatch.delenv("KAM_DATABASE_URL", raising=False)
    monkeypatch.delenv("KAM_ENV", raising=False)
    settings = Settings(_env_file=None)
    assert settings.is_sqlite
    assert settings.env == "development"


@pytest.mark.parametrize("url", ["nonsense", "mysql://root@localhost/db", "sqlite://"])
def test_malformed_database_url_names_the_setting(url):
    with pytest.raises(ValidationError) as error:
        Settings(database_url=url, _env_file=None)
    assert "KAM_DATABASE_URL" in str(error.value)


def test_postgres_urls_use_psycopg():
    settings = Settings(database_url="postgres://u@db:5432/kam", _env_file=None)
    assert settings.database_url == "postgresql+psycopg://u@db:5432/kam"


def test_default_secret_is_refused_in_production():
    with pytest.raises(ValidationError, match="KAM_SECRET_KEY"):
        Settings(env="production", secret_key=DEV_SECRET, _env_file=None)
    with pytest.raises(ValidationError, match="KAM_SECRET_KEY"):
        Settings(env="production", secret_key="short", _env_file=None)
    assert Settings(env="production", secret_key="x" * 40, _env_file=None).env == "production"


def test_settings_read_the_kam_prefix(monkeypatch):
    monkeypatch.setenv("KAM_NORM_MIN_N", "150")
    assert Settings(_env_file=None).norm_min_n == 150


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("KAM_NORM_MIN_N", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("KAM_NORM_MIN_N=123\n")
    assert Settings(_env_file=env_file).norm_min_n == 123
