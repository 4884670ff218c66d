"""No raw fen where a person reads: the need's history says what funded it, and what put it back
to raising money, in yuan (it said "有效认捐 4800000 分已覆盖目标 4800000 分"), in Chinese and
in English; the migration rewrites the history written before."""

from __future__ import annotations

import importlib
import re
from types import SimpleNamespace

import pytest
from tortoise import connections

from fupin.money.service import pledges
from fupin.needs.models import NeedEvent
from tests.money.support import WAN, build_money, due

RAW_FEN = re.compile(r"\d{3,}\s*(分|fen)\b|\d{3,} ?分")


@pytest.mark.both_databases
async def test_need_history_says_funded_and_unfunded_in_yuan(client_as, world) -> None:
    m = await build_money(world, target_fen=48 * WAN)
    pledge = await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=48 * WAN, due_date=due()
    )
    await pledges.withdraw_pledge(actor=m.donor, pledge_id=pledge.id, reason="预算调整")
    reasons = [
        e.reason for e in await NeedEvent.filter(need_id=m.need.id, action__in=["fund", "unfund"])
    ]
    assert len(reasons) == 2
    assert "¥480,000.00" in reasons[0] and "¥480,000.00" in reasons[1]
    assert not any(RAW_FEN.search(r) for r in reasons), reasons
    client = client_as(None)
    page = await client.get(f"/needs/{m.need.id}")
    history = page.text.split('class="history"', 1)[1].split("</ol>", 1)[0]
    assert "¥480,000.00" in history and not RAW_FEN.search(history), history
    english = client_as(None)
    english.cookies.set("fupin_lang", "en")
    page_en = await english.get(f"/needs/{m.need.id}")
    history_en = page_en.text.split('class="history"', 1)[1].split("</ol>", 1)[0]
    assert not RAW_FEN.search(history_en), history_en


async def test_the_migration_rewrites_history_written_in_fen(world) -> None:
    m = await build_money(world)
    old = [
        "有效认捐 4800000 分已覆盖目标 4800000 分。",
        "认捐撤回或失效后，有效认捐 0 分低于目标 4800000 分，恢复募集。",
        "Active pledges of 4800000 fen already cover the target of 4800000 fen.",
        "复核通过，修改 10 分钟后再提交",  # not an amount: left alone
    ]
    for i, reason in enumerate(old):
        await NeedEvent.create(
            need_id=m.need.id,
            action="fund" if i != 3 else "return",
            from_state="published",
            to_state="funded",
            actor_label="系统",
            actor_role="system",
            reason=reason,
        )
    migration = importlib.import_module("fupin.migrations.0008_readable_amounts")
    apps = SimpleNamespace(get_model=lambda name: NeedEvent)
    await migration.rewrite_fen_reasons(apps, SimpleNamespace(client=connections.get("default")))
    now = [e.reason for e in await NeedEvent.filter(need_id=m.need.id).order_by("id")]
    assert now == [
        "有效认捐 ¥48,000.00 已覆盖目标 ¥48,000.00。",
        "认捐撤回或失效后，有效认捐 ¥0.00 低于目标 ¥48,000.00，恢复募集。",
        "Active pledges of ¥48,000.00 already cover the target of ¥48,000.00.",
        "复核通过，修改 10 分钟后再提交",
    ]
