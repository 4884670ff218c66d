"""`fupin users create|token|reset|deactivate|activate|sessions`: the operator's account commands.

The command line runs on the server with the operator's database access, so it acts as the
operator (audit label "cli"), who may manage every account, national administrators included:

    fupin users create --username admin2 --role national_admin     # asks for the password
    fupin users create --username li --role county_officer --region 532627 --link
    fupin users reset li            # a one-time set-password link (the password is not changed)
    fupin users deactivate li       # ends every session; API tokens refused until reactivated
    fupin users activate li
    fupin users sessions li         # live sessions: when, from where, which browser
    fupin users sessions li --end   # … and end them all
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from fupin.accounts.models import ROLES, User
from fupin.accounts.rules import DEFAULT_TOKEN_DAYS, TOKEN_LIFETIME_DAYS, browser_label
from fupin.accounts.service import links, sessions
from fupin.accounts.service import users as accounts
from fupin.core.cli import fail, load_settings, run_with_db
from fupin.core.clock import in_china
from fupin.errors import FupinError
from fupin.settings import Settings

T = TypeVar("T")


@click.group(help="User accounts.")
def users() -> None:
    pass


async def _user(username: str) -> User:
    user = await User.get_or_none(username=username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


def _run(settings: Settings, job: Callable[[], Awaitable[T]]) -> T:
    try:
        return run_with_db(settings, job)
    except FupinError as exc:
        raise fail(exc) from exc


def _link_text(settings: Settings, issued: links.IssuedLink) -> str:
    hours = settings.password_link_seconds // 3600
    return (
        f"set-password link for {issued.user.username} ({issued.purpose}; one use, "
        f"valid {hours} h):\n{links.url_for(settings.base_url, issued.token)}"
    )


@users.command("create", help="Create an account: the password is asked for, or --link.")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--region", "region_code", default=None, help="Region code for office roles.")
@click.option(
    "--participant", "participant_id", type=int, default=None, help="Participant id for members."
)
@click.option("--display-name", default="")
@click.option(
    "--link",
    is_flag=True,
    help="Set no password: print a one-time set-password link for the person instead.",
)
def users_create(
    username: str,
    role: str,
    region_code: str | None,
    participant_id: int | None,
    display_name: str,
    link: bool,
) -> None:
    settings = load_settings()
    password = (
        None
        if link
        else click.prompt("Password", hide_input=True, confirmation_prompt=True, type=str)
    )

    async def job() -> tuple[User, links.IssuedLink | None]:
        user = await accounts.create_user(
            actor=None,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            region_code=region_code,
            participant_id=participant_id,
        )
        if not link:
            return user, None
        issued = await links.issue(
            actor=None, user_id=user.id, lifetime_seconds=settings.password_link_seconds
        )
        return user, issued

    user, issued = _run(settings, job)
    click.echo(f"created user {user.username} (id {user.id}, role {user.role})")
    if issued is not None:
        click.echo(_link_text(settings, issued))


@users.command("token", help="Create an API token for a user (shown once).")
@click.option("--username", required=True)
@click.option("--name", default="cli")
@click.option(
    "--days",
    type=click.Choice([str(d) for d in TOKEN_LIFETIME_DAYS]),
    default=str(DEFAULT_TOKEN_DAYS),
    show_default=True,
    help="Days until the token expires.",
)
def users_token(username: str, name: str, days: str) -> None:
    settings = load_settings()

    async def job() -> str:
        return await accounts.create_api_token(
            user=await _user(username), name=name, days=int(days)
        )

    click.echo(_run(settings, job))


@users.command("reset", help="Print a one-time set-password link for USERNAME.")
@click.argument("username")
def users_reset(username: str) -> None:
    settings = load_settings()

    async def job() -> links.IssuedLink:
        user = await _user(username)
        return await links.issue(
            actor=None, user_id=user.id, lifetime_seconds=settings.password_link_seconds
        )

    click.echo(_link_text(settings, _run(settings, job)))


def _set_active(username: str, active: bool) -> None:
    settings = load_settings()

    async def job() -> User:
        user = await _user(username)
        return await accounts.set_active(actor=None, user_id=user.id, active=active)

    user = _run(settings, job)
    click.echo(f"{user.username} is {'active' if user.is_active else 'deactivated'}")


@users.command("deactivate", help="Deactivate USERNAME: its sessions end, its tokens fail.")
@click.argument("username")
def users_deactivate(username: str) -> None:
    _set_active(username, False)


@users.command("activate", help="Reactivate USERNAME.")
@click.argument("username")
def users_activate(username: str) -> None:
    _set_active(username, True)


@users.command("sessions", help="List the live sessions of USERNAME (--end: end them all).")
@click.argument("username")
@click.option("--end", "end_all", is_flag=True, help="End every session of the user.")
def users_sessions(username: str, end_all: bool) -> None:
    settings = load_settings()

    async def job() -> tuple[list[str], int]:
        user = await _user(username)
        live = await sessions.active_for(user.id, idle_seconds=settings.session_idle_seconds)
        lines = [
            f"{s.id:>8}  {in_china(s.created_at):%Y-%m-%d %H:%M}  "
            f"last {in_china(s.last_seen_at):%Y-%m-%d %H:%M}  {s.ip or '-':<15}  "
            f"{browser_label(s.user_agent) or '-'}"
            for s in live
        ]
        ended = await accounts.sign_out_everywhere(actor=None, user_id=user.id) if end_all else 0
        return lines, ended

    lines, ended = _run(settings, job)
    click.echo(f"{len(lines)} live session(s) of {username}")
    for line in lines:
        click.echo(line)
    if end_all:
        click.echo(f"ended {ended} session(s)")


commands = [users]
