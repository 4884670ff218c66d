"""Money amounts and pledge schedules (docs/domain.md §3.5): how large an amount may be, when a
pledge may fall due, and how instalments must add up. Pure: the pledges service applies them
inside its transactions, and the API and form schemas (``money/schemas``) take their bounds
from the constants here, so each bound is written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fupin.core.money import format_yuan
from fupin.errors import InvalidInput
from fupin.i18n import _

#: ¥10 billion: far above any village need, far below the JSON-safe integer limit of the ledger.
MAX_AMOUNT_FEN = 10**12
MAX_INSTALMENTS = 24
#: China has one time zone and no daylight saving: due dates are local dates (``today_cn``).
MAX_DUE_YEARS = 5


def check_amount(amount_fen: Any, *, field: str = "amount_fen") -> int:
    """A money amount must be a positive whole number of fen, at most ¥10 billion."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise InvalidInput(_("金额必须是以分为单位的整数。"), field=field)
    if amount_fen <= 0:
        raise InvalidInput(_("金额必须大于零。"), field=field, code="not_positive")
    if amount_fen > MAX_AMOUNT_FEN:
        raise InvalidInput(
            _("金额不能超过 %(max)s。", max=format_yuan(MAX_AMOUNT_FEN)),
            field=field,
            code="too_large",
        )
    return amount_fen


@dataclass(frozen=True)
class InstalmentSpec:
    due_date: date
    amount_fen: int


def check_schedule(
    amount_fen: int,
    due_date: date | None,
    instalments: Sequence[InstalmentSpec] | None,
    *,
    today: date,
    allow_past_instalments: bool = False,
) -> tuple[date, list[InstalmentSpec]]:
    """The due date and schedule of a pledge. Without instalments the whole amount is due on
    ``due_date``; with them, the amounts must add up to the pledge and the dates must increase;
    the pledge is due on the last one. An amendment may keep instalments already past
    (``allow_past_instalments``), but the last one must still lie ahead."""
    latest = today + timedelta(days=366 * MAX_DUE_YEARS)
    if not instalments:
        if due_date is None:
            raise InvalidInput(_("请填写兑现日期。"), field="due_date", code="required")
        if due_date < today:
            raise InvalidInput(_("兑现日期不能早于今天。"), field="due_date")
        if due_date > latest:
            raise InvalidInput(
                _("兑现日期不能晚于 %(years)s 年以后。", years=MAX_DUE_YEARS), field="due_date"
            )
        return due_date, []
    if len(instalments) > MAX_INSTALMENTS:
        raise InvalidInput(
            _("分期最多 %(n)s 期。", n=MAX_INSTALMENTS), field="instalments", code="too_many"
        )
    previous: date | None = None
    total = 0
    for index, part in enumerate(instalments, start=1):
        check_amount(part.amount_fen, field=f"instalments[{index}].amount_fen")
        too_early = part.due_date < today and (
            not allow_past_instalments or index == len(instalments)
        )
        if too_early or part.due_date > latest:
            raise InvalidInput(
                _("第 %(n)s 期的日期须在今天至 %(years)s 年以内。", n=index, years=MAX_DUE_YEARS),
                field=f"instalments[{index}].due_date",
            )
        if previous is not None and part.due_date <= previous:
            raise InvalidInput(
                _("分期日期须逐期递增（第 %(n)s 期）。", n=index),
                field=f"instalments[{index}].due_date",
            )
        previous = part.due_date
        total += part.amount_fen
    if total != amount_fen:
        raise InvalidInput(
            _(
                "各期金额合计 %(total)s 与认捐金额 %(amount)s 不一致。",
                total=format_yuan(total),
                amount=format_yuan(amount_fen),
            ),
            field="instalments",
            code="schedule_mismatch",
        )
    return instalments[-1].due_date, list(instalments)


def schedule_json(schedule: Sequence[InstalmentSpec]) -> list[dict[str, Any]]:
    """A schedule as the pledge's history stores it: numbered from 1."""
    return [
        {"number": i, "due_date": s.due_date.isoformat(), "amount_fen": s.amount_fen}
        for i, s in enumerate(schedule, start=1)
    ]


def check_received_on(
    received_on: date,
    *,
    need_drafted_on: date,
    pledge_made_on: date | None,
    historical: bool,
) -> None:
    """Money cannot arrive for a need before the need was drafted, nor against a pledge before
    the pledge was made (a 2017 payment was once accepted against a need drafted in 2026).
    Dates are China dates. Only the national office's historical-records import may enter such
    a record, and it is marked as one (``Donation.historical``, its ledger entry)."""
    if historical:
        return
    if pledge_made_on is not None and received_on < pledge_made_on:
        raise InvalidInput(
            _("到账日期不能在认捐之前（该认捐登记于 %(day)s）。", day=pledge_made_on.isoformat()),
            field="received_on",
            code="before_pledge",
        )
    if received_on < need_drafted_on:
        raise InvalidInput(
            _(
                "到账日期不能在需求登记（起草）之前（该需求起草于 %(day)s）。",
                day=need_drafted_on.isoformat(),
            ),
            field="received_on",
            code="before_need",
        )
