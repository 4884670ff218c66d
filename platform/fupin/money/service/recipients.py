"""Recipient organisations (county government bodies and qualified public-welfare organisations,
docs/domain.md §3.6): who they are, their deduction qualifications, who may act for them and
who may read their records. The money services below (donations, receipts) ask here."""

from __future__ import annotations

import re

from tortoise.query_utils import Prefetch

from fupin.accounts.models import Participant
from fupin.core import audit
from fupin.core.identifiers import IdentifierError, validate_uscc
from fupin.core.policy import Actor, Scope, can, require
from fupin.db import transaction
from fupin.errors import InvalidInput, NotFound, PermissionDenied
from fupin.i18n import N_, _
from fupin.money.models import (
    RECIPIENT_KINDS,
    Donation,
    RecipientOrg,
    RecipientQualification,
)
from fupin.money.rules import channels, receipt_numbers
from fupin.needs.models import Need
from fupin.regions.models import Region

#: Needs that may still receive money: a pledge is often paid after the project has started.
_ISSUER_CODE = re.compile(r"[0-9A-Z]{2,18}")

RECIPIENT_KIND_LABELS = {
    "government": N_("县级以上人民政府及其部门"),
    "qualified_org": N_("具有税前扣除资格的公益性社会组织"),
    "other": N_("其他（不属于合格捐赠渠道）"),
}

# --- recipient organisations --------------------------------------------------------------------


def recipient_scope(org: RecipientOrg, region: Region | None = None) -> Scope:
    """Where the recipient's officers sit: the county officers of the county a government body
    governs, or the members of the participant an organisation is."""
    county = ""
    province = ""
    if region is not None:
        province = region.province_code or (region.code if region.level == "province" else "")
        if region.level == "county":
            county = region.code
    return Scope(
        region_code=org.region_id or "",
        county_code=county,
        province_code=province,
        participant_id=org.participant_id,
    )


async def org_scope(org: RecipientOrg) -> Scope:
    region = await Region.get_or_none(code=org.region_id) if org.region_id else None
    return recipient_scope(org, region)


async def get_recipient(org_id: int) -> RecipientOrg:
    org = await RecipientOrg.get_or_none(id=org_id)
    if org is None:
        raise NotFound(_("受赠单位不存在。"), field="recipient_id")
    return org


async def recipient_orgs_for(actor: Actor | None) -> list[RecipientOrg]:
    """The organisations whose inbox the actor works: a county officer's county government
    body, a participant member's own organisation if it receives money."""
    if actor is None:
        return []
    if actor.role == "county_officer" and actor.county_code:
        return await RecipientOrg.filter(kind="government", region_id=actor.county_code).order_by(
            "id"
        )
    if actor.role == "participant_member" and actor.participant_id is not None:
        return await RecipientOrg.filter(participant_id=actor.participant_id).order_by("id")
    return []


async def create_recipient_org(
    *,
    actor: Actor | None,
    kind: str,
    name: str,
    code: str = "",
    uscc: str = "",
    region_code: str = "",
    participant_id: int | None = None,
    note: str = "",
    is_demo: bool = False,
) -> RecipientOrg:
    """Register a recipient organisation. A government body must govern a county, prefecture
    or province (docs/rules.md §1.1: only county level and above is a qualifying channel)."""
    name = (name or "").strip()
    if kind not in RECIPIENT_KINDS:
        raise InvalidInput(_("受赠单位类型无效。"), field="kind")
    if not name or len(name) > 128:
        raise InvalidInput(_("请填写单位名称（不超过 128 字）。"), field="name")
    uscc = (uscc or "").strip().upper()
    if uscc:
        try:
            uscc = validate_uscc(uscc, field="uscc")
        except IdentifierError as exc:  # the CLI and the demo loader come without a schema
            raise InvalidInput(exc.message, field="uscc", code=exc.code) from None
    code = (code or uscc).strip().upper()
    if _ISSUER_CODE.fullmatch(code) is None:
        raise InvalidInput(
            _("开票单位代码应为 2 至 18 位数字或大写字母（通常为统一社会信用代码）。"), field="code"
        )
    region: Region | None = None
    if region_code:
        region = await Region.get_or_none(code=region_code)
        if region is None:
            raise InvalidInput(_("地区代码不存在：%(code)s", code=region_code), field="region_code")
    if kind == "government" and (
        region is None or region.level not in ("province", "prefecture", "county")
    ):
        raise InvalidInput(
            _("政府受赠单位必须是县级或以上，请填写其所辖的县、地市或省级地区代码。"),
            field="region_code",
        )
    participant = None
    if participant_id is not None:
        participant = await Participant.get_or_none(id=participant_id)
        if participant is None:
            raise InvalidInput(_("参与方不存在。"), field="participant_id")
    if actor is not None:  # None: the CLI and demo loader act as the system
        # A provincial office registers bodies of its province; without a region: national only.
        province = (region.province_code or region.code) if region else "-"
        require(actor, "recipient.manage", Scope(province_code=province))
    if await RecipientOrg.exists(code=code):
        raise InvalidInput(
            _("开票单位代码已被使用：%(code)s", code=code), field="code", code="duplicate"
        )
    if uscc and await RecipientOrg.exists(uscc=uscc):
        raise InvalidInput(_("该统一社会信用代码已登记。"), field="uscc", code="duplicate")
    async with transaction():
        org = await RecipientOrg.create(
            kind=kind,
            name=name,
            code=code,
            uscc=uscc or None,
            region_id=region.code if region else None,
            participant_id=participant.id if participant else None,
            note=(note or "").strip()[:2000],
            is_demo=is_demo,
        )
        await audit.record(
            actor=actor,
            action="recipient.create",
            object_type="recipient_org",
            object_id=org.id,
            after=audit.snapshot(
                org, ("kind", "name", "code", "uscc", "region_id", "participant_id")
            ),
        )
    return org


async def add_qualification(
    *,
    actor: Actor | None,
    org_id: int,
    start_year: int,
    end_year: int,
    list_reference: str,
) -> RecipientQualification:
    """Record one published listing of the organisation's deduction qualification (docs/rules.md §1.1:
    valid nationwide for 3 years; a donation counts only if its date falls inside a period)."""
    org = await get_recipient(org_id)
    if actor is not None:
        require(actor, "recipient.manage", await org_scope(org))
    if org.kind != "qualified_org":
        raise InvalidInput(_("只有公益性社会组织需要登记税前扣除资格。"), field="kind")
    first, last = channels.FIRST_QUALIFICATION_YEAR, channels.LAST_QUALIFICATION_YEAR
    for value, field in ((start_year, "start_year"), (end_year, "end_year")):
        if isinstance(value, bool) or not isinstance(value, int) or not first <= value <= last:
            raise InvalidInput(
                _("年份应在 %(first)s 至 %(last)s 之间。", first=first, last=last), field=field
            )
    if end_year < start_year:
        raise InvalidInput(_("结束年份不能早于开始年份。"), field="end_year")
    reference = (list_reference or "").strip()
    if not reference or len(reference) > 255:
        raise InvalidInput(
            _("请填写公布该资格的名单文号（不超过 255 字）。"), field="list_reference"
        )
    async with transaction():
        qualification = await RecipientQualification.create(
            org_id=org.id, start_year=start_year, end_year=end_year, list_reference=reference
        )
        await audit.record(
            actor=actor,
            action="recipient.qualification",
            object_type="recipient_org",
            object_id=org.id,
            after={"start_year": start_year, "end_year": end_year, "list_reference": reference},
        )
    return qualification


async def qualification_periods(org_id: int) -> list[channels.QualificationPeriod]:
    rows = await RecipientQualification.filter(org_id=org_id).order_by("start_year")
    return [
        channels.QualificationPeriod.for_years(r.start_year, r.end_year, r.list_reference)
        for r in rows
    ]


async def set_bank_account(
    *,
    actor: Actor,
    org_id: int,
    bank_name: str,
    account_name: str,
    account_number: str,
) -> RecipientOrg:
    """Enter or change where donors transfer the money. Only the recipient's own officers do it
    (an office could redirect money it does not receive); the change is audited with the
    account before and after, so a changed account can be traced when a transfer goes astray."""
    org = await get_recipient(org_id)
    require(actor, "recipient.bank_account", await org_scope(org))
    values = {
        "bank_name": (bank_name or "").strip(),
        "bank_account_name": (account_name or "").strip(),
        "bank_account_number": re.sub(r"[\s-]", "", account_number or ""),
    }
    if not values["bank_name"] or not values["bank_account_name"]:
        raise InvalidInput(_("请填写开户银行和户名。"), field="bank_name")
    if not re.fullmatch(r"[0-9]{8,34}", values["bank_account_number"]):
        raise InvalidInput(_("账号应为 8 至 34 位数字（可用空格分组）。"), field="account_number")
    fields = tuple(values)
    async with transaction():
        locked = await RecipientOrg.filter(id=org.id).select_for_update().first()
        before = audit.snapshot(locked or org, fields)
        await RecipientOrg.filter(id=org.id).update(**values)
        org = await RecipientOrg.get(id=org.id)
        await audit.record(
            actor=actor,
            action="recipient.bank_account",
            object_type="recipient_org",
            object_id=org.id,
            before=before,
            after=audit.snapshot(org, fields),
        )
    return org


async def may_set_bank_account(actor: Actor | None, org: RecipientOrg) -> bool:
    return can(actor, "recipient.bank_account", await org_scope(org))


# --- permissions ------------------------------------------------------------------------------


async def require_recipient(actor: Actor | None, action: str, org: RecipientOrg) -> Actor:
    return require(actor, action, await org_scope(org))


async def can_view_donation(actor: Actor | None, donation: Donation) -> bool:
    """The donor's members, the recipient's officers, and the offices over the need.

    The recipient's place grants nothing to an office: a province office reads the money of
    needs in its province, not of every organisation registered there (a Yunnan foundation
    receives money for needs anywhere). Only those who record the recipient's donations read
    them by the recipient."""
    if actor is None:
        return False
    if actor.participant_id is not None and actor.participant_id == donation.donor_id:
        return True
    org = await RecipientOrg.get(id=donation.recipient_id)
    if can(actor, "donation.record", await org_scope(org)):
        return True
    need = await Need.get(id=donation.need_id)
    return actor.role != "participant_member" and can(
        actor,
        "donation.view",
        Scope(
            region_code=need.region_id,
            county_code=need.county_code,
            province_code=need.province_code,
        ),
    )


async def get_donation_for(actor: Actor | None, donation_id: int) -> Donation:
    donation = await Donation.get_or_none(id=donation_id)
    if donation is None:
        raise NotFound(_("捐赠记录不存在。"), field="donation_id")
    if actor is None:
        require(actor, "donation.view")
    if not await can_view_donation(actor, donation):
        raise PermissionDenied(_("您没有权限查看这笔捐赠。"))
    return donation


def has_official_numbers(donation: Donation) -> bool:
    return receipt_numbers.has_official_numbers(
        donation.official_receipt_code,
        donation.official_receipt_number,
        donation.official_check_code,
    )


async def is_recipient_officer(actor: Actor | None, donation: Donation) -> bool:
    org = await RecipientOrg.get(id=donation.recipient_id)
    return can(actor, "donation.record", await org_scope(org))


def _qualifications() -> Prefetch:
    """An organisation's qualifications, fetched with it in the order of their years."""
    return Prefetch(
        "qualifications", queryset=RecipientQualification.all().order_by("start_year", "id")
    )


async def list_recipients(
    *, kind: str | None = None, page: int = 1, per_page: int = 20
) -> tuple[list[RecipientOrg], int]:
    query = RecipientOrg.all()
    if kind is not None:
        if kind not in RECIPIENT_KINDS:
            raise InvalidInput(_("受赠单位类型无效。"), field="kind")
        query = query.filter(kind=kind)
    total = await query.count()
    orgs = (
        await query.order_by("id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .prefetch_related(_qualifications(), "region")
    )
    return list(orgs), total


async def with_qualifications(org: RecipientOrg) -> RecipientOrg:
    """The organisation with its qualifications fetched, in the order of their years."""
    return await RecipientOrg.get(id=org.id).prefetch_related(_qualifications())
