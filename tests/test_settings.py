"""Settings come from the environment only; production refuses unsafe secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin import REPO_ROOT
from fupin.settings import DEV_SECRET, ENV_VARS, Settings, SettingsError


def test_defaults_are_the_embedded_setup() -> None:
    settings = Settings.from_env({})
    assert settings.is_sqlite and settings.meili_url == "" and settings.env == "development"


@pytest.mark.parametrize("secret", [None, DEV_SECRET, "short-secret"])
def test_production_refuses_a_default_or_short_secret(secret) -> None:
    env = {"FUPIN_ENV": "production"}
    if secret:
        env["FUPIN_SECRET_KEY"] = secret
    with pytest.raises(SettingsError, match="FUPIN_SECRET_KEY"):
        Settings.from_env(env)


def test_production_accepts_a_long_random_secret() -> None:
    settings = Settings.from_env(
        {
            "FUPIN_ENV": "production",
            "FUPIN_SECRET_KEY": "4Jq0rJ3v8dQ8mZ_tW1xYp6c2LkN9bH5sVe7gUaRfTo",  # token_urlsafe(32)
            "FUPIN_DATABASE_URL": "postgres://u@h/db",
        }
    )
    assert settings.is_production and not settings.is_sqlite
    assert "4Jq0" not in repr(settings)  # secrets never in reprs or tracebacks


@pytest.mark.parametrize("secret", ["a" * 32, "x" * 40, "abcd" * 10, "0123456789" * 4])
def test_production_refuses_a_low_entropy_secret(secret: str) -> None:
    with pytest.raises(SettingsError, match="FUPIN_SECRET_KEY"):
        Settings.from_env(
            {
                "FUPIN_ENV": "production",
                "FUPIN_SECRET_KEY": secret,
                "FUPIN_DATABASE_URL": "postgres://u@h/db",
            }
        )


@pytest.mark.parametrize(
    ("name", "value"),
    [("FUPIN_PORT", "eighty"), ("FUPIN_ENV", "staging"), ("FUPIN_DATABASE_URL", "mysql://x")],
)
def test_bad_values_name_the_variable(name, value) -> None:
    with pytest.raises(
        SettingsError, match=name.split("_", 1)[1][:8] if name != "FUPIN_ENV" else "FUPIN_ENV"
    ):
        Settings.from_env({name: value})


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name in ENV_VARS:
        assert f"`{name}`" in readme, f"{name} is not documented in README.md"


def test_settings_module_is_the_only_reader_of_the_environment() -> None:
    package = Path(REPO_ROOT / "platform" / "fupin")
    offenders = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if p.name != "settings.py"
        and (
            "os.environ" in p.read_text(encoding="utf-8")
            or "getenv(" in p.read_text(encoding="utf-8")
        )
    ]
    assert offenders == []


def test_session_and_login_limits_come_from_the_environment_and_are_checked() -> None:
    settings = Settings.from_env(
        {
            "FUPIN_SESSION_MAX_AGE_SECONDS": "3600",
            "FUPIN_SESSION_IDLE_SECONDS": "600",
            "FUPIN_PASSWORD_LINK_SECONDS": "7200",
            "FUPIN_LOGIN_ADDRESS_FAILURES": "50",
        }
    )
    assert (settings.session_max_age_seconds, settings.session_idle_seconds) == (3600, 600)
    assert (settings.password_link_seconds, settings.login_address_failures) == (7200, 50)
    defaults = Settings.from_env({})
    assert (defaults.session_max_age_seconds, defaults.session_idle_seconds) == (43200, 7200)
    with pytest.raises(SettingsError, match="FUPIN_SESSION_IDLE_SECONDS"):
        Settings.from_env(
            {"FUPIN_SESSION_MAX_AGE_SECONDS": "600", "FUPIN_SESSION_IDLE_SECONDS": "601"}
        )
    with pytest.raises(SettingsError, match="FUPIN_PASSWORD_LINK_SECONDS"):
        Settings.from_env({"FUPIN_PASSWORD_LINK_SECONDS": "0"})
