"""Upgrading a database that holds update notices (the retired per-participant progress inbox):
migration 0019 gives every member of a noticed participant the need_progress notification the
service writes, read where the notice was read, makes no second one where the member already has
it, and drops the notices' table — on SQLite and on PostgreSQL, over a database migrated to 0018
and filled through the models."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from tortoise import connections
from tortoise.migrations.api.migrate import migrate

from fupin.accounts.models import User
from fupin.db import close_database, open_database, run_migrations, tortoise_config
from fupin.i18n import gettext
from fupin.notify.models import Notification
from fupin.notify.rules import render
from fupin.progress.models import NeedUpdate
from fupin.settings import Settings
from tests.money.support import make_need
from tests.support.world import build_world, make_user

BEFORE = "models.0018_alert_indexes"


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """An empty database of its own (the session's PostgreSQL database is already migrated)."""
    if request.param == "sqlite":
        yield Settings(env="test", database_url=f"sqlite://{tmp_path / 'upgrade.sqlite3'}")
        return
    session_url: str = request.getfixturevalue("postgres_url")
    base, name = session_url.rsplit("/", 1)
    asyncio.run(_admin(session_url, f'CREATE DATABASE "{name}_upgrade"'))
    try:
        yield Settings(env="test", database_url=f"{base}/{name}_upgrade")
    finally:
        asyncio.run(_admin(session_url, f'DROP DATABASE IF EXISTS "{name}_upgrade" WITH (FORCE)'))


async def _notice(update_id: int, participant_id: int, *, read: bool) -> None:
    """A row of the retired table, as 0014 made it (no model describes it any more); a read
    notice is read when its update was posted."""
    read_at = f"(SELECT created_at FROM need_update WHERE id = {update_id})" if read else "NULL"
    await connections.get("default").execute_script(
        "INSERT INTO need_update_notice (update_id, participant_id, read_at) "
        f"VALUES ({update_id}, {participant_id}, {read_at})"
    )


async def test_upgrading_moves_update_notices_into_notifications(
    fresh: Settings, subset_dir: Path
) -> None:
    settings = fresh
    try:
        await migrate(config=tortoise_config(settings), target=BEFORE)
    finally:
        await close_database()
    await open_database(settings)
    try:
        world = await build_world(subset_dir)
        need = await make_need(world.village, title="石门村饮水工程")
        first = await NeedUpdate.create(
            need_id=need.id, kind="started", text="施工队已进场。", author_role="county_officer"
        )
        second = await NeedUpdate.create(
            need_id=need.id, kind="delivered", text="水管已铺设到户。", author_role="village_worker"
        )
        enterprise = world.participants["enterprise"]
        social_org = world.participants["social_org"]
        # an enterprise with two members: each gets its own copy
        colleague = await make_user("participant_member", "colleague", participant=enterprise.id)
        member = world.users["participant_member"]
        other = world.users["other_participant_member"]
        await _notice(first.id, enterprise.id, read=False)
        await _notice(first.id, social_org.id, read=True)
        await _notice(second.id, enterprise.id, read=True)
        # the member already has the second update's notification (written since 0014), unread
        await Notification.create(
            user_id=member.id,
            kind="need_progress",
            params={"need_title": need.title, "summary": "已交付：水管已铺设到户。"},
            link=f"/needs/{need.id}#progress",
            dedupe_key=f"need_update:{second.id}",
        )
    finally:
        await close_database()

    await run_migrations(settings)

    await open_database(settings)
    try:
        rows = await Notification.filter(kind="need_progress").order_by("user_id", "dedupe_key")
        got = {(n.user_id, n.dedupe_key): n for n in rows}
        assert len(rows) == len(got), "one notification per member and update"
        first_key, second_key = f"need_update:{first.id}", f"need_update:{second.id}"
        assert set(got) == {
            (member.id, first_key),
            (colleague.id, first_key),
            (other.id, first_key),
            (member.id, second_key),
            (colleague.id, second_key),
        }
        # unread stays unread, read stays read (when the notice was read)
        assert got[(member.id, first_key)].read_at is None
        assert got[(colleague.id, first_key)].read_at is None
        assert got[(other.id, first_key)].read_at == first.created_at
        assert got[(colleague.id, second_key)].read_at == second.created_at
        # the one the member had is kept, now read as the notice was
        assert got[(member.id, second_key)].read_at == second.created_at
        moved = got[(other.id, first_key)]
        assert moved.created_at == first.created_at
        assert moved.link == f"/needs/{need.id}#progress"
        assert moved.params["update_id"] == first.id and moved.params["update_kind"] == "started"
        title, body = render(moved.kind, moved.params, gettext)
        assert body == "「石门村饮水工程」：开工：施工队已进场。"
        assert await User.filter(id=other.id).exists()
        # and the notices' table is gone
        conn = connections.get("default")
        if settings.is_sqlite:
            found = await conn.execute_query_dict(
                "SELECT name FROM sqlite_master WHERE name = 'need_update_notice'"
            )
        else:
            found = await conn.execute_query_dict(
                "SELECT tablename FROM pg_tables WHERE tablename = 'need_update_notice'"
            )
        assert found == []
    finally:
        await close_database()
