"""Participants: registration with identifier checks, directory and profiles (docs/domain.md §3.2)."""

from __future__ import annotations

from dataclasses import dataclass

from fupin.accounts.models import KINDS, Pair, Participant
from fupin.core import audit, clock
from fupin.core.identifiers import (
    IdentifierError,
    hash_resident_id,
    mask_resident_id,
    validate_resident_id,
    validate_uscc,
)
from fupin.core.policy import Actor, Scope, can, require
from fupin.db import transaction
from fupin.errors import FieldError, InvalidInput, NotFound
from fupin.i18n import N_, _
from fupin.regions.models import Region

KIND_LABELS = {
    "enterprise": N_("企业"),
    "social_org": N_("社会组织"),
    "individual": N_("个人"),
    "central_unit": N_("定点帮扶单位"),
    "east_partner": N_("东部协作方"),
    "democratic_party": N_("民主党派、工商联及无党派人士"),
    "military": N_("军队和武警部队"),
}
#: Kinds that are organisations with a USCC. Central units, parties and army units have codes
#: too (1…, 5…, A1…); they are optional for the reference-data helpers loaded from public lists.
USCC_REQUIRED = ("enterprise", "social_org")


def kind_label(kind: str) -> str:
    return _(KIND_LABELS.get(kind, kind))


async def create_participant(
    *,
    actor: Actor | None,
    kind: str,
    name: str,
    uscc: str = "",
    id_number: str = "",
    region_code: str = "",
    description: str = "",
    contact_email: str = "",
    pepper: str,
    ip: str = "",
    is_demo: bool = False,
) -> Participant:
    """Register a participant; every field problem is reported with the field's name and
    nothing is written unless all checks pass."""
    if actor is not None:
        require(actor, "participant.create")
    errors: list[FieldError] = []
    name = (name or "").strip()
    if kind not in KINDS:
        errors.append(FieldError("kind", _("未知的参与方类型。")))
    if not name or len(name) > 128:
        errors.append(FieldError("name", _("名称不能为空，且不超过 128 个字符。")))
    clean_uscc = None
    if uscc.strip():
        try:
            clean_uscc = validate_uscc(uscc)
        except IdentifierError as exc:
            errors.append(FieldError("uscc", str(exc), exc.code))
    elif kind in USCC_REQUIRED:
        errors.append(FieldError("uscc", _("企业和社会组织必须填写统一社会信用代码。")))
    id_hash, id_masked = None, ""
    if id_number.strip():
        if kind != "individual":
            errors.append(FieldError("id_number", _("只有个人参与方填写身份证号码。")))
        else:
            try:
                parsed = validate_resident_id(id_number)
                number = getattr(parsed, "number", None) or id_number.strip().upper()
                id_hash = hash_resident_id(number, pepper=pepper)
                id_masked = mask_resident_id(number)
            except IdentifierError as exc:
                errors.append(FieldError("id_number", str(exc), exc.code))
    region = None
    if region_code:
        region = await Region.get_or_none(code=region_code)
        if region is None:
            errors.append(
                FieldError("region_code", _("地区代码不存在：%(code)s", code=region_code))
            )
    if clean_uscc and await Participant.exists(uscc=clean_uscc):
        errors.append(FieldError("uscc", _("该统一社会信用代码已登记。"), "duplicate"))
    if id_hash and await Participant.exists(id_number_hash=id_hash):
        errors.append(FieldError("id_number", _("该身份证号码已登记。"), "duplicate"))
    if errors:
        raise InvalidInput(errors=errors)
    async with transaction():
        participant = await Participant.create(
            kind=kind,
            name=name,
            uscc=clean_uscc,
            id_number_hash=id_hash,
            id_number_masked=id_masked,
            region=region,
            description=description[:4000],
            contact_email=contact_email[:128],
            is_demo=is_demo,
        )
        await audit.record(
            actor=actor,
            actor_label=None if actor else "cli",
            action="participant.create",
            object_type="participant",
            object_id=participant.id,
            after={
                "kind": kind,
                "name": name,
                "uscc": clean_uscc,
                "id_number": id_masked or None,
                "region_code": region_code or None,
            },
            ip=ip,
        )
    return participant


async def get_participant(participant_id: int) -> Participant:
    participant = await Participant.get_or_none(id=participant_id)
    if participant is None:
        raise NotFound(_("参与方不存在。"))
    return participant


@dataclass
class ParticipantPage:
    items: list[Participant]
    total: int
    page: int
    per_page: int


async def list_participants(
    *, kind: str | None = None, q: str | None = None, page: int = 1, per_page: int = 20
) -> ParticipantPage:
    query = Participant.all()
    if kind:
        if kind not in KINDS:
            raise InvalidInput(_("未知的参与方类型。"), field="kind")
        query = query.filter(kind=kind)
    if q:
        if len(q) > 64:
            raise InvalidInput(_("查询过长。"), field="q")
        query = query.filter(name__contains=q)
    total = await query.count()
    items = await query.order_by("id").offset((page - 1) * per_page).limit(per_page)
    return ParticipantPage(items=items, total=total, page=page, per_page=per_page)


async def pairs_of(participant: Participant) -> list[Pair]:
    return (
        await Pair.filter(helper=participant)
        .prefetch_related("helped_region")
        .order_by("start_year")
    )


def may_see_identity(actor: Actor | None, participant: Participant) -> bool:
    """The masked ID number is shown to the participant itself, the national office and the
    office of the province it is registered in; the public directory, other participants and
    other provinces' offices never see it (registering participants anywhere is no reason to
    read every individual's identity)."""
    region = participant.region_id or ""
    scope = Scope(
        participant_id=participant.id,
        province_code=region[:2] + "0000" if len(region) >= 6 else "",
    )
    return can(actor, "participant.view_identity", scope)


async def set_commendation_consent(
    *, actor: Actor, participant_id: int, consent: bool, ip: str = "", via: str = "settings"
) -> Participant:
    """Give or withdraw the participant's consent to be recommended for a commendation and
    named in its public notice (docs/rules.md §5.4). Only the participant's own members decide
    it; the change and its date are kept on the participant and in the audit log, so an office
    can show when consent was given. Setting the value it already has changes nothing."""
    require(actor, "participant.consent", Scope(participant_id=participant_id))
    async with transaction():
        participant = await Participant.filter(id=participant_id).select_for_update().first()
        if participant is None:
            raise NotFound(_("参与方不存在。"))
        if participant.commendation_opt_in == consent and participant.commendation_consent_at:
            return participant
        before = {
            "commendation_opt_in": participant.commendation_opt_in,
            "commendation_consent_at": participant.commendation_consent_at.isoformat()
            if participant.commendation_consent_at
            else None,
        }
        participant.commendation_opt_in = consent
        participant.commendation_consent_at = clock.now()
        await participant.save(update_fields=["commendation_opt_in", "commendation_consent_at"])
        await audit.record(
            actor=actor,
            action="participant.commendation_consent",
            object_type="participant",
            object_id=participant.id,
            before=before,
            after={
                "commendation_opt_in": consent,
                "commendation_consent_at": participant.commendation_consent_at.isoformat(),
                "via": via,
            },
            ip=ip,
        )
    return participant
