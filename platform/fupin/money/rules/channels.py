"""Which donations go through a qualifying channel and which are targeted poverty-alleviation
donations (docs/rules.md §1.1, §1.2) — decided when a recipient records a donation, printed on its
receipt, and read by the tax papers.

These rules live with money, not with tax, because recording a donation needs them and tax sits
above money (tax reads the money records). Pure: plain values in, immutable decisions out. The
rows below are data, like the tax parameter table: a new kind of channel or target area is a
data change.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from fupin.core.reasons import Reason, reason_from
from fupin.i18n import N_


class RecipientKind(StrEnum):
    """Who received the donation, for the qualifying-channel test (docs/rules.md §1.1)."""

    #: 县级（含县级）以上人民政府及其组成部门和直属机构
    GOVERNMENT = "government"
    #: 具有公益性捐赠税前扣除资格的公益性社会组织 (and 群众团体 with the parallel qualification)
    QUALIFIED_ORG = "qualified_org"
    #: anything else: a village, a household, a project team, an unqualified organisation,
    #: a township government. Never deductible, never carried forward.
    OTHER = "other"


@dataclass(frozen=True)
class RecipientKindRow:
    kind: RecipientKind
    qualifies: bool
    needs_qualification_period: bool
    source: str


@dataclass(frozen=True)
class TargetPrefectureRow:
    """A prefecture all of whose counties count as target areas (besides the 832 list)."""

    code: str  # GB/T 2260 prefecture code, e.g. "652900"
    name: str
    source: str

    @property
    def county_prefix(self) -> str:
        return self.code[:4]


class ChannelParamsError(ValueError):
    """The channel table itself is inconsistent."""


@dataclass(frozen=True)
class ChannelParams:
    """Who is a qualifying channel, and which prefectures count as target areas as a whole."""

    recipient_kinds: tuple[RecipientKindRow, ...]
    target_prefectures: tuple[TargetPrefectureRow, ...]

    def __post_init__(self) -> None:
        kinds = [r.kind for r in self.recipient_kinds]
        if sorted(kinds) != sorted(set(kinds)) or set(kinds) != set(RecipientKind):
            raise ChannelParamsError("recipient_kinds: exactly one row per RecipientKind")

    def recipient_kind_row(self, kind: RecipientKind) -> RecipientKindRow:
        return next(r for r in self.recipient_kinds if r.kind == kind)

    def target_prefecture_for(self, county_code: str) -> TargetPrefectureRow | None:
        for row in self.target_prefectures:
            if county_code.startswith(row.county_prefix):
                return row
        return None


SRC_CHANNELS = N_("财税〔2018〕15号 第一条；财政部 税务总局 民政部公告2020年第27号 第一条")
SRC_QUALIFICATION = N_("财政部 税务总局 民政部公告2020年第27号：扣除资格全国有效，有效期3年")
SRC_TARGET_AREAS = N_("公告2019年第49号：832个贫困县、新疆阿克苏地区6县1市、建档立卡贫困村")
SRC_AKSU = N_("公告2019年第49号：新疆阿克苏地区6县1市比照连片特困地区县（按整个阿克苏地区理解）")
SRC_RECEIPT_AREA = N_("公告2019年第49号问答：捐赠票据须注明目标脱贫地区具体名称")

#: The channels and target areas in force, each row citing its source.
CHANNEL_PARAMS = ChannelParams(
    recipient_kinds=(
        RecipientKindRow(
            kind=RecipientKind.GOVERNMENT,
            qualifies=True,
            needs_qualification_period=False,
            source=SRC_CHANNELS,
        ),
        RecipientKindRow(
            kind=RecipientKind.QUALIFIED_ORG,
            qualifies=True,
            needs_qualification_period=True,
            source=SRC_QUALIFICATION,
        ),
        RecipientKindRow(
            kind=RecipientKind.OTHER,
            qualifies=False,
            needs_qualification_period=False,
            source=SRC_CHANNELS,
        ),
    ),
    target_prefectures=(
        # Aksu "6 counties and 1 city": the 832 list has only 乌什 and 柯坪 of 652900, the other
        # seven make the whole prefecture [interpretation — confirm, docs/rules.md §1.2].
        TargetPrefectureRow(code="652900", name="阿克苏地区", source=SRC_AKSU),
    ),
)

#: Every reason code of these rules, with its message id (Chinese source text).
CHANNEL_REASONS: dict[str, str] = {
    # qualifying channel (docs/rules.md §1.1)
    "recipient_government": N_(
        "受赠方为县级（含县级）以上人民政府及其组成部门和直属机构，属合格捐赠渠道"
    ),
    "recipient_qualified_in_period": N_(
        "受赠方具有公益性捐赠税前扣除资格，捐赠日期在资格有效期内（%(reference)s）"
    ),
    "recipient_qualification_lapsed": N_("捐赠日期不在受赠组织的公益性捐赠税前扣除资格有效期内"),
    "recipient_not_qualifying": N_(
        "受赠方不是合格的公益性捐赠渠道（直接捐给村、农户或项目组等不得税前扣除）"
    ),
    # targeted donation (docs/rules.md §1.2)
    "targeted_county_832": N_("受益县%(county_code)s属832个国家扶贫开发工作重点县和连片特困地区县"),
    "targeted_aksu_prefecture": N_("受益县%(county_code)s属%(prefecture)s，比照连片特困地区县"),
    "targeted_poor_village": N_("受益村为建档立卡贫困村"),
    "targeted_channel_not_qualifying": N_("未通过合格的公益性捐赠渠道，不属于扶贫捐赠全额扣除范围"),
    "targeted_area_not_target": N_(
        "受益地区不属于目标脱贫地区（832个县、阿克苏地区、建档立卡贫困村）"
    ),
    "targeted_receipt_area_missing": N_("公益事业捐赠票据未注明目标脱贫地区的具体名称"),
    "targeted_receipt_area_mismatch": N_("公益事业捐赠票据注明的地区与受益地区不符"),
}


def _reason(code: str, citation: str = "", **params: str | int) -> Reason:
    return reason_from(CHANNEL_REASONS, code, citation, **params)


#: The years a qualification listing may name: the 2008 enterprise income tax law introduced the
#: pre-tax deduction qualification; later than 2100 is a typing error.
FIRST_QUALIFICATION_YEAR = 2008
LAST_QUALIFICATION_YEAR = 2100


@dataclass(frozen=True)
class QualificationPeriod:
    """One listing of an organisation's pre-tax deduction qualification (2020 No. 27), inclusive."""

    start: date
    end: date
    reference: str = ""  # the published list it comes from

    @classmethod
    def for_years(cls, first_year: int, last_year: int, reference: str = "") -> QualificationPeriod:
        return cls(start=date(first_year, 1, 1), end=date(last_year, 12, 31), reference=reference)

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


class TargetBasis(StrEnum):
    """Why an area is a target poverty area under 2019 No. 49."""

    COUNTY_832 = "county_832"
    AKSU_PREFECTURE = "aksu_prefecture"
    REGISTERED_POOR_VILLAGE = "registered_poor_village"


@dataclass(frozen=True)
class Decision:
    ok: bool
    reason: Reason
    basis: TargetBasis | None = None  # only for targeted decisions


def qualifies_for_deduction(
    *,
    recipient_kind: RecipientKind | str,
    qualification_periods: Sequence[QualificationPeriod],
    donated_on: date,
    params: ChannelParams = CHANNEL_PARAMS,
) -> Decision:
    """Is the donation made through a qualifying channel (docs/rules.md §1.1)?

    A government body at county level or above always qualifies; a public-welfare organisation
    only when the donation date lies inside one of its qualification periods; anything else
    never (a direct gift is booked but neither deducted nor carried forward).
    """
    row = params.recipient_kind_row(RecipientKind(recipient_kind))
    if not row.qualifies:
        return Decision(False, _reason("recipient_not_qualifying", row.source))
    if not row.needs_qualification_period:
        return Decision(True, _reason("recipient_government", row.source))
    for period in qualification_periods:
        if period.covers(donated_on):
            return Decision(
                True,
                _reason("recipient_qualified_in_period", row.source, reference=period.reference),
            )
    return Decision(False, _reason("recipient_qualification_lapsed", SRC_QUALIFICATION))


def is_targeted(
    *,
    channel_qualifies: bool,
    county_code: str | None,
    village_is_registered_poor: bool,
    receipt_area_text: str | None,
    poverty_county_codes: Collection[str],
    target_area_names: Collection[str] = (),
    params: ChannelParams = CHANNEL_PARAMS,
) -> Decision:
    """Is this a targeted poverty-alleviation donation under 2019 No. 49 (docs/rules.md §1.2)?

    All three must hold: a qualifying channel; a target area (one of the 832 counties given in
    ``poverty_county_codes``, a county of a prefecture in ``params.target_prefectures`` — Aksu —,
    or a registered poor village anywhere); and a receipt that names the area. If
    ``target_area_names`` is given (e.g. the county and village names), the receipt text must
    contain one of them. The date window is not checked here: a targeted donation stays targeted,
    the working paper decides whether it is still deducted in full.
    """
    if not channel_qualifies:
        return Decision(False, _reason("targeted_channel_not_qualifying", SRC_CHANNELS))
    basis: TargetBasis | None = None
    reason: Reason | None = None
    prefecture = params.target_prefecture_for(county_code) if county_code else None
    if county_code and county_code in poverty_county_codes:
        basis = TargetBasis.COUNTY_832
        reason = _reason("targeted_county_832", SRC_TARGET_AREAS, county_code=county_code)
    elif county_code and prefecture is not None:
        basis = TargetBasis.AKSU_PREFECTURE
        reason = _reason(
            "targeted_aksu_prefecture",
            prefecture.source,
            county_code=county_code,
            prefecture=prefecture.name,
        )
    elif village_is_registered_poor:
        basis = TargetBasis.REGISTERED_POOR_VILLAGE
        reason = _reason("targeted_poor_village", SRC_TARGET_AREAS)
    if basis is None or reason is None:
        return Decision(False, _reason("targeted_area_not_target", SRC_TARGET_AREAS))
    text = (receipt_area_text or "").strip()
    if not text:
        return Decision(False, _reason("targeted_receipt_area_missing", SRC_RECEIPT_AREA))
    names = [name.strip() for name in target_area_names if name.strip()]
    if names and not any(name in text for name in names):
        return Decision(False, _reason("targeted_receipt_area_mismatch", SRC_RECEIPT_AREA))
    return Decision(True, reason, basis)
