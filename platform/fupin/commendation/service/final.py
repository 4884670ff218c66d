"""The end of a round and its lists as tables (docs/rules.md §5.1).

* **publish final** (notice → final): only after the notice period has ended and every objection
  is resolved; the remaining nominees are awarded;
* **close** (final → closed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fupin.accounts.service.participants import kind_label
from fupin.commendation.models import (
    CommendationRound,
    Nomination,
    Objection,
)
from fupin.commendation.rules.rounds import ROUND_MACHINE, RoundFacts
from fupin.commendation.service.ranking import reason_text
from fupin.commendation.service.rounds import (
    STATUS_LABELS,
    category_label,
    locked_round,
    require_manage,
)
from fupin.core import audit, clock
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.db import transaction
from fupin.i18n import N_, _


async def publish_final(
    *, actor: Actor | None, round_id: int, today: date | None = None, system: bool = False
) -> CommendationRound:
    """Publish the final list: the notice period is over and every objection resolved."""
    require_manage(actor, system=system)
    today = today or today_cn()
    async with transaction():
        found = await locked_round(round_id)
        ROUND_MACHINE.check(found.state, "publish_final")
        assert found.notice_end is not None
        facts = RoundFacts(
            today=today,
            notice_end=found.notice_end,
            open_objections=await Objection.filter(round_id=found.id, state="open").count(),
        )
        final = ROUND_MACHINE.check(found.state, "publish_final", facts)
        awarded = await Nomination.filter(round_id=found.id, status="nominee").update(
            status="awarded"
        )
        found.state = final.to
        found.final_published_at = clock.now()
        await found.save(update_fields=["state", "final_published_at"])
        await audit.record(
            actor=actor,
            action="commendation.round.final",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": "notice"},
            after={"state": found.state, "awarded": awarded},
        )
    return found


async def close_round(
    *, actor: Actor | None, round_id: int, system: bool = False
) -> CommendationRound:
    require_manage(actor, system=system)
    async with transaction():
        found = await locked_round(round_id)
        found.state = ROUND_MACHINE.check(found.state, "close").to
        found.closed_at = clock.now()
        await found.save(update_fields=["state", "closed_at"])
        await audit.record(
            actor=actor,
            action="commendation.round.close",
            object_type="commendation_round",
            object_id=found.id,
            before={"state": "final"},
            after={"state": "closed"},
        )
    return found


# --- exports -------------------------------------------------------------------------------


def nomination_rows(nominations: Sequence[Nomination], *, private: bool) -> Any:
    """The list as an ``exports`` table; ``private`` adds the office's figures and reasons."""
    spec: list[tuple[str, str, str]] = [
        ("category", N_("类别"), "text"),
        ("rank", N_("名次"), "int"),
        ("name", N_("名称"), "text"),
        ("kind", N_("参与方类型"), "text"),
        ("status", N_("状态"), "text"),
        ("total", N_("确认捐赠合计（元）"), "yuan"),
        ("completed_needs", N_("已完成项目"), "int"),
        ("villages", N_("帮扶村数"), "int"),
        ("counties", N_("帮扶县数"), "int"),
    ]
    if private:
        spec += [
            ("cash", N_("现金（元）"), "yuan"),
            ("in_kind", N_("实物（元）"), "yuan"),
            ("targeted", N_("定向扶贫（元）"), "yuan"),
            ("pledges_due", N_("到期认捐"), "int"),
            ("pledges_honoured", N_("已兑现认捐"), "int"),
            ("reversed", N_("冲正笔数"), "int"),
            ("anonymous", N_("匿名捐赠"), "bool"),
            ("reasons", N_("不符合条件的原因"), "text"),
        ]
    rows = []
    for n in nominations:
        f = n.figures or {}
        row: dict[str, Any] = {
            "category": category_label(n.category),
            "rank": n.rank,
            "name": n.public_name,
            "kind": kind_label(n.participant.kind),
            "status": _(STATUS_LABELS.get(n.status, n.status)),
            "total": int(f.get("total_confirmed_fen", 0)),
            "completed_needs": int(f.get("completed_needs", 0)),
            "villages": int(f.get("villages_reached", 0)),
            "counties": int(f.get("counties_reached", 0)),
        }
        if private:
            row |= {
                "cash": int(f.get("confirmed_cash_fen", 0)),
                "in_kind": int(f.get("in_kind_fen", 0)),
                "targeted": int(f.get("targeted_fen", 0)),
                "pledges_due": int(f.get("pledges_due", 0)),
                "pledges_honoured": int(f.get("pledges_honoured", 0)),
                "reversed": int(f.get("reversed_donations", 0)),
                "anonymous": bool(f.get("gave_anonymously")),
                "reasons": "；".join(reason_text(r) for r in n.reasons or []),
            }
        rows.append(row)
    return [(key, _(label), kind) for key, label, kind in spec], rows
