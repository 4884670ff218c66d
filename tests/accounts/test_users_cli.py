"""`fupin users create|reset|deactivate|activate|sessions` (the operator's account commands)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fupin.accounts.models import User, UserSession
from fupin.accounts.service import links, sessions
from fupin.accounts.service import users as accounts
from fupin.cli import main
from fupin.core.cli import run_with_db
from fupin.settings import Settings

PASSWORD = "operator-chosen-2026"


@pytest.fixture
def operator(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {
        "FUPIN_DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}",
        "FUPIN_VAR_DIR": str(tmp_path),
        "FUPIN_BASE_URL": "https://fupin.example.cn",
    }
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> str:
        result = runner.invoke(main, list(args), env=env, input=input, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("migrate")
    run.settings = Settings.from_env(env)  # type: ignore[attr-defined]
    return run


def test_the_operator_manages_accounts_from_the_command_line(operator) -> None:
    settings = operator.settings
    out = operator(
        "users",
        "create",
        "--username",
        "ops2",
        "--role",
        "national_admin",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert "created user ops2" in out
    out = operator("users", "create", "--username", "li_audit", "--role", "auditor", "--link")
    link = re.search(r"https://fupin\.example\.cn/set-password/(\S+)", out)
    assert link and "activate" in out

    async def use_link_and_log_in() -> str:
        await links.set_password(
            token=link.group(1), password=PASSWORD + "!", confirm=PASSWORD + "!"
        )
        user = await accounts.authenticate(
            username="li_audit", password=PASSWORD + "!", ip="", max_failures=5, window_seconds=900
        )
        return await sessions.start(
            user=user, ip="192.0.2.8", user_agent="curl/8.0", max_age_seconds=3600
        )

    run_with_db(settings, use_link_and_log_in)
    listed = operator("users", "sessions", "li_audit")
    assert "1 live session(s)" in listed and "192.0.2.8" in listed and "curl" in listed
    assert "ended 1 session(s)" in operator("users", "sessions", "li_audit", "--end")
    assert "0 live session(s)" in operator("users", "sessions", "li_audit")

    reset = operator("users", "reset", "li_audit")
    assert "(reset;" in reset and "/set-password/" in reset
    assert "deactivated" in operator("users", "deactivate", "ops2")
    assert "is active" in operator("users", "activate", "ops2")

    async def facts() -> tuple[bool, bool, int]:
        ops2 = await User.get(username="ops2")
        li = await User.get(username="li_audit")
        return (
            ops2.is_active,
            li.has_password,
            await UserSession.filter(ended_at__isnull=True).count(),
        )

    assert run_with_db(settings, facts) == (True, True, 0)


def test_the_command_line_refuses_a_common_password(operator) -> None:
    result = CliRunner().invoke(
        main,
        ["users", "create", "--username", "weak1", "--role", "auditor"],
        input="woaini1314\nwoaini1314\n",
        env={"FUPIN_DATABASE_URL": operator.settings.database_url},
    )
    assert result.exit_code != 0 and "password" in result.output
