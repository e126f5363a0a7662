"""Settings: typed from the environment, documented, safe in production."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from kb.config import Config

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [f.name for f in fields(Config) if f.name != "TESTING"])
def test_every_setting_is_in_the_readme_configuration_table(name):
    assert f"| `KB_{name}` |" in README


def test_settings_are_read_and_typed_from_the_environment():
    config = Config.from_env(
        {
            "KB_INDEXER_THREAD": "off",
            "KB_PER_PAGE": "5",
            "KB_INDEXER_INTERVAL": "0.1",
            "KB_INDEX_DIR": "/x",
        }
    )
    assert config.INDEXER_THREAD is False and config.PER_PAGE == 5
    assert config.INDEXER_INTERVAL == 0.1 and config.INDEX_DIR == "/x"


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(RuntimeError, match="KB_SECRET_KEY"):
        Config.from_env({"KB_ENV": "production"}).finalise()
    assert Config.from_env({"KB_ENV": "production", "KB_SECRET_KEY": "s" * 32}).finalise()


def test_development_gets_a_random_key_never_a_fixed_one():
    assert Config.from_env({}).finalise().SECRET_KEY != Config.from_env({}).finalise().SECRET_KEY
