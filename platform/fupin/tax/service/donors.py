"""Whose tax papers, and which years (docs/domain.md §3.8): a donor sees only its own papers, auditors
every donor's; tax years run from the first year the parameter table covers to this year.

A *year outside the data*: tax years run from the first year the parameter table covers (2008,
EIT Law) to the current year; anything else is refused. A year inside that range with no
donation gives an empty statement, which is a true statement.

Profit input for the CLI (``parse_profits``): a negative profit is a loss (docs/rules.md §1.1: a loss
year must be enterable — its cap is 0 while targeted donations are still deducted in full);
non-numeric text, more than two decimals of a yuan and absurd magnitudes are refused by
``core.money.parse_yuan`` with a message naming the field.
"""

from __future__ import annotations

import re
from datetime import date

from fupin.accounts.models import Participant
from fupin.core.clock import today_cn
from fupin.core.money import parse_yuan
from fupin.core.policy import Actor, Scope, require
from fupin.errors import InvalidInput, NotAuthenticated, NotFound
from fupin.i18n import _
from fupin.money.models import Donation
from fupin.tax.rules.params import TAX_PARAMS

#: First tax year the parameter table covers (EIT Law art. 9, in force 2008-01-01).
MIN_TAX_YEAR = min(row.first_year for row in TAX_PARAMS.general_cap)


def check_year(value: str | int | None, *, field: str = "year", today: date | None = None) -> int:
    """A tax year the data covers: from ``MIN_TAX_YEAR`` to the current year."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isdigit() and len(text) == 4 else None
    current = (today or today_cn()).year
    if not isinstance(value, int):
        raise InvalidInput(_("请填写四位数的纳税年度。"), field=field, code="not_a_year")
    if not MIN_TAX_YEAR <= value <= current:
        raise InvalidInput(
            _(
                "纳税年度 %(year)s 超出数据范围：只能选择 %(first)s 至 %(last)s 年。",
                year=value,
                first=MIN_TAX_YEAR,
                last=current,
            ),
            field=field,
            code="year_outside_data",
        )
    return value


def parse_profits(spec: str, *, field: str = "profits") -> dict[int, int]:
    """``"2019=1000万,2020=500万,2021=-200万"`` → {year: fen} (the CLI's --profits)."""
    result: dict[int, int] = {}
    for part in (p.strip() for p in (spec or "").replace("，", ",").split(";")):
        if not part:
            continue
        # Commas separate years unless they sit inside a number ("1,000,000"): split on ","
        # only before "YYYY=".
        for item in re.split(r",(?=\s*[0-9]{4}\s*=)", part):
            if "=" not in item:
                raise InvalidInput(
                    _("利润应写成“年度=金额”，如 2019=1000万：%(item)s", item=item.strip()),
                    field=field,
                    code="not_numeric",
                )
            year_text, amount = item.split("=", 1)
            year_text = year_text.strip()
            if not (year_text.isdigit() and len(year_text) == 4):
                raise InvalidInput(
                    _("“%(item)s”中的年度不是四位数字。", item=item.strip()),
                    field=field,
                    code="not_a_year",
                )
            year = int(year_text)
            if year in result:
                raise InvalidInput(
                    _("%(year)s 年的利润填写了两次。", year=year), field=field, code="duplicate"
                )
            result[year] = parse_yuan(amount, field=f"profit_{year}", allow_negative=True)
    if not result:
        raise InvalidInput(_("请填写各年度的利润总额。"), field=field, code="required")
    return result


async def find_participant(ref: str | int) -> Participant:
    """By id or by USCC (the CLI's --participant ID_OR_USCC)."""
    participant: Participant | None = None
    text = str(ref).strip()
    if not text.isascii() or not text.isalnum() or len(text) > 18:
        raise NotFound(_("参与方不存在：%(ref)s", ref=text[:32]), field="participant")
    if text.isdigit() and len(text) <= 9:
        participant = await Participant.get_or_none(id=int(text))
    if participant is None and isinstance(ref, str):
        participant = await Participant.get_or_none(uscc=ref.strip().upper())
    if participant is None:
        raise NotFound(_("参与方不存在：%(ref)s", ref=str(ref)), field="participant")
    return participant


async def participant_for_tax(
    actor: Actor | None, participant_id: int, *, system: bool = False
) -> Participant:
    """A donor sees only its own tax papers; auditors see every donor's (policy ``tax.view``).

    The permission is checked before the participant is looked up, so another donor's id gives
    403 whether or not it exists. ``system`` is the CLI (whoever runs it has the database)."""
    if actor is None and not system:
        raise NotAuthenticated(_("请先登录。"))
    if actor is not None:
        require(actor, "tax.view", Scope(participant_id=participant_id))
    participant = await Participant.get_or_none(id=participant_id)
    if participant is None:
        raise NotFound(_("参与方不存在。"), field="participant")
    return participant


def is_individual(participant: Participant) -> bool:
    return participant.kind == "individual"


def donor_identifier(participant: Participant) -> str:
    """The USCC, or the masked ID number of an individual."""
    return participant.uscc or participant.id_number_masked or ""


async def donation_years(
    *, actor: Actor | None, participant_id: int, system: bool = False
) -> tuple[Participant, list[int]]:
    """The donor and the tax years in which it has confirmed donations (newest first), plus
    the current year, for the year picker."""
    participant = await participant_for_tax(actor, participant_id, system=system)
    days = await Donation.filter(
        donor_id=participant.id, state="confirmed", reverses_id__isnull=True
    ).values_list("received_on", flat=True)
    years = {day.year for day in days if day.year >= MIN_TAX_YEAR} | {today_cn().year}
    return participant, sorted(years, reverse=True)
