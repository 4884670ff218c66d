"""Supervision alerts: the thresholds, each documented (docs/domain.md §3.10).

Each alert is a list an office works through; the threshold says when a record joins it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fupin.i18n import N_


@dataclass(frozen=True)
class Alert:
    code: str
    label: str
    #: the threshold's default: days, or (concentration) hundredths of a percent
    threshold: int
    unit: str
    explanation: str


ALERTS: dict[str, Alert] = {
    a.code: a
    for a in (
        # A funded need should start soon: 30 days without a step (start, delivery, evidence)
        # is a month of money waiting, the first monthly review that would catch it.
        Alert(
            "stalled_needs",
            N_("已筹满但长期无进展的需求"),
            30,
            "days",
            N_(
                "需求已筹满（或已开始实施）后，超过阈值天数没有新的进展记录（开始实施、交付、上传凭证）。"
            ),
        ),
        # Receipts should follow money: the platform acknowledgement is one click once a
        # donation is confirmed; 7 days leaves a working week for it.
        Alert(
            "donations_without_receipt",
            N_("到账后未开具收据的捐赠"),
            7,
            "days",
            N_("捐赠确认到账后超过阈值天数仍没有有效收据。"),
        ),
        # The official 公益事业捐赠票据 comes from the finance system; individuals need it within
        # the 90-day IIT grace (docs/rules.md §2), so 30 days leaves time to chase it.
        Alert(
            "receipts_without_official_numbers",
            N_("未录入财政票据号码的收据"),
            30,
            "days",
            N_(
                "平台收据开具后超过阈值天数，捐赠仍未录入财政部门监制的公益事业捐赠票据代码和号码。"
            ),
        ),
        # Concentration: when the top 10 % of a county's asking villages receive more than
        # 60 % of its money, the rest are being left out (the dashboards' concentration figure).
        Alert(
            "concentration",
            N_("资金集中于少数村的县"),
            6000,
            "pct_x100",
            N_(
                "当年县内前 10% 的提出需求的村获得的到账资金占比超过阈值（且至少有 10 个提出需求的村）。"
            ),
        ),
        # Pledges past their due date, grouped by cooperation pair (unpaired pledges apart).
        Alert(
            "overdue_pledges",
            N_("逾期未兑现的认捐（按结对）"),
            0,
            "days",
            N_("认捐到期后超过阈值天数仍未足额到账，按结对汇总。"),
        ),
    )
}

#: A county needs this many asking villages before its concentration means anything.
CONCENTRATION_MIN_VILLAGES = 10
#: Thresholds people may choose: days up to three years, a share up to 100 %.
MAX_DAYS = 3 * 366
MAX_PCT_X100 = 10_000


def top_share_pct_x100(amounts: list[int]) -> tuple[int, int]:
    """(share of the top 10 % of ``amounts`` in their sum in hundredths of a percent, how many
    that top is): the top is ceil(10 % of the count), at least one; an empty or zero sum is 0.
    The same definition as the dashboards' concentration figure."""
    if not amounts:
        return 0, 0
    ordered = sorted(amounts, reverse=True)
    top = max(1, -(-len(ordered) // 10))
    total = sum(ordered)
    if total <= 0:
        return 0, top
    return sum(ordered[:top]) * 10_000 // total, top
