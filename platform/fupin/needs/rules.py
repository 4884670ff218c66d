"""The need lifecycle as one explicit table (docs/domain.md §3.4). Pure: no database, no HTTP.

    draft → submitted → published → funded → in_progress → completed → closed
              ↓ return      ↓ expire                ↑ dispute ←──────┘ (and from closed)
           returned      expired
    withdrawn: from draft, submitted, returned (drafter or county) and published (county, nation)

Each row is (state, action) → next state, the ``fupin.core.policy`` action the actor needs in
the need's scope (``regions.scope_of(need.region)``), whether a reason is required — asked
where a person would ask "why": returning, withdrawing, disputing, closing without the village
side's own confirmation, and recording a delivery (what was delivered) — and the guards the
action needs besides the state (a deadline ahead to publish, evidence to record delivery, …).

Three rows have no permission (``None``): the system makes them, never a person.
    published → funded      ``fund``     active pledges cover the target (derived, see below)
    funded → published      ``unfund``   a pledge was withdrawn or lapsed and they no longer do
    published → expired     ``expire``   the deadline passed before the need was funded

"Funded" is derived (docs/domain.md §3.4: "active pledges cover the target"): :func:`is_funded` is the
documented query ``target_fen > 0 AND pledged_fen >= target_fen`` over ``Need.pledged_fen``,
which the money services keep equal to the sum of active pledges.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from fupin.core.states import Guard, StateMachine, Transition
from fupin.errors import Conflict, InvalidInput
from fupin.i18n import N_

#: Every state, in lifecycle order (the same tuple as ``fupin.needs.models.NEED_STATES``; a test
#: keeps the two equal, this module may not import models).
STATES: tuple[str, ...] = (
    "draft",
    "submitted",
    "returned",
    "published",
    "funded",
    "in_progress",
    "completed",
    "closed",
    "withdrawn",
    "expired",
)
#: Visible to the public (a county officer has published the need).
PUBLIC_STATES: tuple[str, ...] = ("published", "funded", "in_progress", "completed", "closed")
#: Shown on the public pages on request (they were public; the deadline passed unfunded).
LISTABLE_STATES: tuple[str, ...] = (*PUBLIC_STATES, "expired")
#: Nothing more happens to a need in these states.
FINAL_STATES: tuple[str, ...] = ("withdrawn", "expired")

STATE_LABELS: dict[str, str] = {
    "draft": N_("草稿"),
    "submitted": N_("待审核"),
    "returned": N_("已退回"),
    "published": N_("募集中"),
    "funded": N_("已认捐满额"),
    "in_progress": N_("实施中"),
    "completed": N_("已交付"),
    "closed": N_("已结项"),
    "withdrawn": N_("已撤回"),
    "expired": N_("已过期"),
}

#: The actions a person can ask for, in the order buttons are shown.
USER_ACTIONS: tuple[str, ...] = (
    "submit",
    "publish",
    "return",
    "start",
    "deliver",
    "confirm_receipt",
    "close",
    "dispute",
    "withdraw",
)
SYSTEM_ACTIONS: tuple[str, ...] = ("fund", "unfund", "expire")
#: The actions the workspace offers next to each need (the forward steps of delivery); the
#: others (dispute, close, withdraw) stay on the need page, where their consequences are told.
WORKSPACE_ACTIONS: tuple[str, ...] = ("start", "deliver", "confirm_receipt")
#: Actions a person asks for on a form of their own (they carry more than a reason), not a button.
FORM_ACTIONS: tuple[str, ...] = ("extend_deadline",)

ACTION_LABELS: dict[str, str] = {
    "draft": N_("起草"),
    "edit": N_("修改"),
    "submit": N_("提交审核"),
    "publish": N_("审核发布"),
    "return": N_("退回修改"),
    "start": N_("开始实施"),
    "deliver": N_("登记交付"),
    "confirm_receipt": N_("确认收到"),
    "close": N_("结项"),
    "dispute": N_("提出异议"),
    "withdraw": N_("撤回"),
    "fund": N_("认捐足额"),
    "unfund": N_("认捐不足，恢复募集"),
    "expire": N_("到期未筹满"),
    "extend_deadline": N_("延长截止日期"),
}

#: What the reason field asks for, per action that needs one.
REASON_PROMPTS: dict[str, str] = {
    "return": N_("退回原因（需要修改什么）"),
    "withdraw": N_("撤回原因"),
    "dispute": N_("异议内容（哪里与申报不符）"),
    "close": N_("结项说明（村方确认方式）"),
    "deliver": N_("交付说明（交付了什么、何时、验收情况）"),
    "extend_deadline": N_("延长原因"),
}


#: Two-person rules (``fupin.core.duties``): action → the earlier actions whose latest performer
#: the actor must be independent of (not the same account, neither created the other). The
#: village side's confirmation of receipt is the check on the county's record of delivery.
#: ``close`` is not listed: it needs the village's signed receipt scan (or a county-wide need),
#: whose paper signature is the second person.
TWO_PERSON: dict[str, tuple[str, ...]] = {"confirm_receipt": ("deliver",)}
TWO_PERSON_MESSAGE = N_(
    "交付须由另一人确认：此需求的交付不能由登记交付的人或其创建的账号确认收到，"
    "请由独立的村级信息员确认，或由县扶贫办上传村方签收单后结项。"
)


@dataclass(frozen=True)
class NeedFacts:
    """What the guards of the table read. The service fills what the action needs (a duplicate
    search only for ``publish``, the attachments only for ``deliver`` and ``close``)."""

    deadline: date | None = None
    today: date | None = None
    pledged_fen: int = 0
    possible_duplicates: tuple[int, ...] = ()
    duplicates_acknowledged: bool = False
    has_evidence: bool = False
    county_wide: bool = False
    has_receipt_confirmation: bool = False
    #: the deadline asked for by ``extend_deadline``
    new_deadline: date | None = None


_DEADLINE_AHEAD = Guard[NeedFacts](
    "past",
    N_("截止日期已到或已过，请先修改截止日期再发布。"),
    lambda f: f.deadline is not None and f.today is not None and f.deadline > f.today,
    field="deadline",
    error=InvalidInput,
)
_NO_UNACKNOWLEDGED_DUPLICATE = Guard[NeedFacts](
    "possible_duplicate",
    N_("可能与已有需求重复：%(ids)s。请核对后确认发布。"),
    lambda f: not f.possible_duplicates or f.duplicates_acknowledged,
    lambda f: {"ids": "、".join(f"#{i}" for i in f.possible_duplicates)},
    field="acknowledge_duplicates",
    error=Conflict,
    extra=lambda f: {"duplicates": list(f.possible_duplicates)},
)
_NO_PLEDGES = Guard[NeedFacts](
    "has_pledges",
    N_("该需求已有有效认捐，不能撤回；请先与认捐方沟通。"),
    lambda f: f.pledged_fen == 0,
)
_EVIDENCE = Guard[NeedFacts](
    "evidence_required",
    N_("登记交付前请先上传交付证明（照片或验收单）。"),
    lambda f: f.has_evidence,
    field="attachments",
)
_VILLAGE_CONFIRMED = Guard[NeedFacts](
    "receipt_confirmation_required",
    N_("村级需求应由村方确认收到；如村方已书面签收，请先上传签收单再结项。"),
    lambda f: f.county_wide or f.has_receipt_confirmation,
    field="attachments",
)


_LATER_DEADLINE = Guard[NeedFacts](
    "not_later",
    N_("新的截止日期须晚于原截止日期和今天，且不超过今天起三年。"),
    lambda f: (
        f.new_deadline is not None
        and f.deadline is not None
        and f.today is not None
        and f.new_deadline > max(f.deadline, f.today)
        and (f.new_deadline - f.today).days <= MAX_DEADLINE_DAYS
    ),
    field="deadline",
    error=InvalidInput,
)


def _t(
    state: str,
    action: str,
    to: str,
    permission: str | None,
    reason: bool = False,
    guards: tuple[Guard[NeedFacts], ...] = (),
) -> Transition[NeedFacts]:
    return Transition(state, action, to, permission, reason, guards)


#: The lifecycle. Anything not listed is refused with InvalidTransition.
NEED_MACHINE: StateMachine[NeedFacts] = StateMachine(
    "need",
    STATES,
    [
        # drafting and review (village worker or county drafts; only the county publishes, once
        # the deadline is ahead and any possible duplicate was looked at)
        _t("draft", "submit", "submitted", "need.submit"),
        _t("returned", "submit", "submitted", "need.submit"),
        _t("submitted", "return", "returned", "need.review", reason=True),
        _t(
            "submitted",
            "publish",
            "published",
            "need.publish",
            guards=(_DEADLINE_AHEAD, _NO_UNACKNOWLEDGED_DUPLICATE),
        ),
        # withdrawal: the drafting side before publication, the county (or nation) after, and
        # then only while no active pledge is on it
        _t("draft", "withdraw", "withdrawn", "need.withdraw", reason=True),
        _t("submitted", "withdraw", "withdrawn", "need.withdraw", reason=True),
        _t("returned", "withdraw", "withdrawn", "need.withdraw", reason=True),
        _t(
            "published",
            "withdraw",
            "withdrawn",
            "need.withdraw_published",
            reason=True,
            guards=(_NO_PLEDGES,),
        ),
        # the county extends the deadline while the need takes pledges (a pledge may not be
        # due after it: money.rules.caps), with a reason; the state stays
        _t(
            "published",
            "extend_deadline",
            "published",
            "need.extend_deadline",
            reason=True,
            guards=(_LATER_DEADLINE,),
        ),
        _t(
            "funded",
            "extend_deadline",
            "funded",
            "need.extend_deadline",
            reason=True,
            guards=(_LATER_DEADLINE,),
        ),
        # money (derived) and time (deadline), made by the system
        _t("published", "fund", "funded", None),
        _t("funded", "unfund", "published", None),
        _t("published", "expire", "expired", None),
        # delivery: the county implements and records delivery with evidence; the village
        # side confirms receipt (or disputes, which reopens the need)
        _t("funded", "start", "in_progress", "need.start"),
        _t("in_progress", "deliver", "completed", "need.deliver", reason=True, guards=(_EVIDENCE,)),
        _t("completed", "confirm_receipt", "closed", "need.confirm_receipt"),
        _t("completed", "close", "closed", "need.close", reason=True, guards=(_VILLAGE_CONFIRMED,)),
        _t("completed", "dispute", "in_progress", "need.dispute", reason=True),
        _t("closed", "dispute", "in_progress", "need.dispute", reason=True),
    ],
    state_labels=STATE_LABELS,
    action_labels=ACTION_LABELS,
    refusal=N_("需求当前状态为“%(state)s”，不能%(action)s。"),
)

#: Creating a need (it starts as a draft).
CREATE_PERMISSION = "need.draft"
#: Editing content: the drafting side while it is theirs; the county also while reviewing.
EDIT_PERMISSIONS: dict[str, str] = {
    "draft": "need.edit",
    "returned": "need.edit",
    "submitted": "need.review",
}
#: Attachments may be added in these states (evidence and receipt scans after publication).
ATTACH_STATES: tuple[str, ...] = (
    "draft",
    "submitted",
    "returned",
    "published",
    "funded",
    "in_progress",
    "completed",
    "closed",
)
#: Purposes of attachments, with who typically adds them.
ATTACHMENT_PURPOSES: dict[str, str] = {
    "photo": N_("现场照片"),
    "budget": N_("预算表"),
    "evidence": N_("交付证明"),
    "receipt_confirmation": N_("村方签收单"),
}


def actions_from(state: str) -> list[Transition[NeedFacts]]:
    """The user transitions leaving ``state``, in button order."""
    return NEED_MACHINE.from_state(state, USER_ACTIONS)


def is_funded(target_fen: int, pledged_fen: int) -> bool:
    """The derived "funded" test (docs/domain.md §3.4): active pledges cover a positive target."""
    return target_fen > 0 and pledged_fen >= target_fen


def money_action(state: str, target_fen: int, pledged_fen: int) -> str | None:
    """The system action the pledged amount calls for: ``fund``, ``unfund`` or None."""
    funded = is_funded(target_fen, pledged_fen)
    if state == "published" and funded:
        return "fund"
    if state == "funded" and not funded:
        return "unfund"
    return None


# --- a need's content: limits and labels (forms, API and imports alike) ---------------------------

MIN_TITLE, MAX_TITLE = 4, 60
MIN_DESCRIPTION, MAX_DESCRIPTION = 20, 5000
YUAN = 100
#: ¥100 … ¥1亿: below is not a project, above is not a village need (and is a typo).
MIN_TARGET_FEN, MAX_TARGET_FEN = 100 * YUAN, 100_000_000 * YUAN
MAX_HOUSEHOLDS, MAX_PEOPLE = 100_000, 500_000
#: A deadline is a future day within three years (a proposal's horizon; the 2014 opinion plans
#: to 2020). Today itself is refused: a need must be open at least one full day.
MAX_DEADLINE_DAYS = 3 * 366
MAX_ITEMS = 50
MAX_ITEM_NAME, MAX_ITEM_UNIT = 64, 16
MAX_ITEM_QUANTITY = 1_000_000
MAX_ITEM_VALUE_FEN = 10_000_000 * YUAN
MAX_REASON = 1000
MAX_EXTERNAL_REF = 64
#: Duplicate guard: the same village + category + a similar title within this window.
DUPLICATE_WINDOW_DAYS = 365
DUPLICATE_SIMILARITY = 0.6
#: The longest text of the database list's ``q`` (a title substring).
MAX_LIST_QUERY = 64

#: Orders of the database list of needs.
SORTS: tuple[str, ...] = ("newest", "deadline", "open_amount")
#: The sorts of the needs list donors browse, in the order the page offers them. ``raising``
#: (its default): needs still raising money — published, before their deadline, not fully
#: pledged — first, newest first; ``closest``: those closest to being funded first. The API's
#: list keeps ``SORTS`` (their twins in the search engine).
LIST_SORTS: tuple[str, ...] = ("raising", "open_amount", "deadline", "closest", "newest")
SORT_LABELS: dict[str, str] = {
    "raising": N_("仍在募集优先"),
    "open_amount": N_("缺口最大"),
    "deadline": N_("截止日期最近"),
    "closest": N_("最接近募满"),
    "newest": N_("最新发布"),
}

#: Who acted, as the public history shows it (never the person's name).
ROLE_LABELS: dict[str, str] = {
    "village_worker": N_("村级信息员"),
    "county_officer": N_("县扶贫办"),
    "province_office": N_("省扶贫办"),
    "national_admin": N_("国家扶贫办"),
    "supervisor": N_("扶贫监督员"),
    "system": N_("系统"),
    "import": N_("批量导入"),
}

#: A need's fields (form, API and import names) → label, for the edit history and the import
#: report.
FIELD_LABELS: dict[str, str] = {
    "region_code": N_("村（或县）代码"),
    "category": N_("类别"),
    "title": N_("标题"),
    "description": N_("需求说明"),
    "target_fen": N_("目标金额"),
    "target_yuan": N_("目标金额（元）"),
    "beneficiary_households": N_("受益户数"),
    "beneficiary_people": N_("受益人数"),
    "deadline": N_("截止日期"),
    "items": N_("物资"),
    "external_ref": N_("项目编号"),
}
#: Content types an attachment may have (decided from the content, ``service/attachments.py``).
ATTACHMENT_TYPES: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp", "application/pdf")


def clean_text(value: str, *, one_line: bool = False) -> str:
    """Text as a need keeps it: NFC, newlines unified, no control characters except newlines
    and tabs, trimmed; ``one_line`` turns newlines into spaces (titles)."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    if one_line:
        text = text.replace("\n", " ")
    return text.strip()


#: China has one time zone and no daylight saving; deadlines are local calendar dates.
def is_overdue(state: str, deadline: date, today: date) -> bool:
    """A published (not funded) need whose deadline day has passed has expired: the deadline
    is the last day on which it can still be funded."""
    return state == "published" and deadline < today


def effective_state(state: str, deadline: date, today: date) -> str:
    """The state a reader must be shown, before the expiry is persisted (check on read)."""
    return "expired" if is_overdue(state, deadline, today) else state


#: What the routes that edit a need or move it along declare (core/policy.py "routes"): every
#: action some state or transition requires, so the table above stays the one definition.
NEED_EDIT: tuple[str, ...] = tuple(sorted(set(EDIT_PERMISSIONS.values())))
NEED_STEPS: tuple[str, ...] = tuple(
    sorted({p for action in NEED_MACHINE.actions for p in NEED_MACHINE.permissions_for(action)})
)
