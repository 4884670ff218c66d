"""Every HTML form keeps its input on error: invalid input comes back in the form itself, with
what was typed and a message next to the field — never the generic error page ("422 · 输入有误 …
返回首页") that loses the form.

The POST routes are walked from the app: each is a form checked here (``CASES``), a button whose
only input is hidden (``BUTTONS``: nothing to type, nothing to lose), or listed in ``REMAINING``
— the forms not yet brought to this standard, named so that the list is exact and a new form
cannot be added without being placed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.routing import Mount, Route

from fupin.accounts.models import Pair
from fupin.accounts.service import links
from fupin.commendation.models import CommendationRound, Nomination, Objection, RoundCategory
from fupin.core.clock import today_cn
from fupin.disclosure.service import complaints, notices
from fupin.money.models import Pledge
from fupin.money.service import donations, pledges, receipts
from fupin.sharing.service import endpoints as webhooks
from tests.money.support import WAN, Money, build_money, due, make_need
from tests.support.world import CSRF
from tests.tax.builders import build_example_e

#: Buttons: a form with only hidden fields (CSRF, idempotency key, a fixed value).
BUTTONS = {
    "/logout",
    "/account/tokens/{token_id:id}/revoke",
    "/account/sessions/{session_id:id}/end",
    "/account/sessions/end-others",
    "/account/sessions/end-all",
    "/admin/users/{user_id:id}/password-link",
    "/admin/users/{user_id:id}/deactivate",
    "/admin/users/{user_id:id}/activate",
    "/admin/users/{user_id:id}/sign-out",
    "/donations/{donation_id:id}/confirm",
    "/donations/{donation_id:id}/receipt",
    "/receipts/{receipt_id:id}/print",
    "/receipts/{receipt_id:id}/reissue",
    "/commendation/office/{rid:id}/categories/{cid}/delete",
    "/commendation/office/{rid:id}/rank",
    "/commendation/office/{rid:id}/notice",
    "/commendation/office/{rid:id}/final",
    "/commendation/office/{rid:id}/close",
    "/commendation/office/{rid:id}/reopen",
    "/me/recommendations/{need_id:id}/not-for-us",
    "/me/recommendations/{need_id:id}/undo",
    "/me/inbox/{invitation_id:id}/read",
    "/needs/{need_id:id}/follow",
    "/needs/{need_id:id}/unfollow",
    "/webhooks/{endpoint_id:id}/rotate",
    "/webhooks/{endpoint_id:id}/enable",
    "/webhooks/{endpoint_id:id}/pause",
    "/webhooks/{endpoint_id:id}/delete",
    "/webhooks/{endpoint_id:id}/deliveries/{delivery_id:id}/redeliver",
    "/me/notifications/read-all",
    "/me/notifications/{notification_id:id}/read",
    "/me/inbox/{invitation_id:id}/respond",
    "/account/commendation-consent",
}

#: Forms with typed input not yet checked here (not yet shown to keep their input with a
#: message next to each field). Empty: every form is; a new form goes into CASES.
REMAINING: set[str] = set()


@dataclass(frozen=True)
class Case:
    """One invalid submission of a form: who posts it, where (built from the money fixture),
    what, and which fields must come back marked (with the values typed)."""

    route: str
    who: str | None
    url: Callable[[Money, dict[str, Any]], str]
    data: dict[str, str | Callable[[], str]]
    fields: tuple[str, ...]

    def typed(self) -> dict[str, str]:
        """What is typed, a date read now rather than when CASES was built at import: a run may
        straddle midnight China time (tests/test_midnight.py)."""
        return {name: value() if callable(value) else value for name, value in self.data.items()}


def _due() -> str:
    return due().isoformat()


def _today() -> str:
    return today_cn().isoformat()


async def _pledge(m: Money) -> Pledge:
    return await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=10 * WAN, due_date=due()
    )


async def _setup(m: Money) -> dict[str, Any]:
    """A pledge (¥100,000 of a ¥1,000,000 need), and a confirmed donation with its receipt."""
    pledge = await _pledge(m)
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        amount_fen=WAN,
        received_on=today_cn(),
        need_id=m.need.id,
        donor_id=m.world.participants["individual"].id,
        confirm=True,
    )
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)
    recorded = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        amount_fen=WAN,
        received_on=today_cn(),
        need_id=m.need.id,
        donor_id=m.world.participants["individual"].id,
    )
    draft = await make_need(m.world.village, state="draft", title="村道硬化草稿")
    hook, _secret = await webhooks.create(
        m.officer,
        webhooks.EndpointInput("https://93.184.216.34/hook", "", ["need.published"]),
        allow_loopback=False,
    )
    link = await links.issue(
        actor=None, user_id=m.world.users["village_worker"].id, lifetime_seconds=3600
    )
    notice = await notices.publish(
        m.officer,
        level="project",
        kind="implementation",
        title="村道硬化实施前公示",
        body="项目内容",
        complaint_channel="广南县扶贫办",
        need_id=m.need.id,
        stage="before",
    )
    complaint = await complaints.file_complaint(
        subject="need", target_id=m.need.id, content="村道只修了一半就停工了。", anonymous=True
    )
    return {
        "link": link.token,
        "pledge": pledge,
        "donation": donation,
        "recorded": recorded,
        "receipt": receipt,
        "draft": draft,
        "webhook": hook,
        "notice": notice,
        "complaint": complaint,
    }


#: A commendation round as the office creates it (2021–2025, two categories).
ROUND_FORM = {
    "title": "2021–2025 社会扶贫表彰",
    "first_year": "2021",
    "last_year": "2025",
    "notice_working_days": "5",
    "objection_channel": "国务院扶贫办 12317",
    "dedication_collective_include": "1",
    "dedication_collective_quota": "2",
    "dedication_individual_include": "1",
    "dedication_individual_quota": "1",
}

CASES = [
    Case(
        "/pledges",
        "participant_member",
        lambda m, s: "/pledges",
        {"amount": "abc", "due_date": "31/12/2030", "idempotency_key": "f" * 16},
        ("amount", "due_date"),
        # need_id is added from the fixture
    ),
    Case(
        "/pledges/{pledge_id:id}/amend",
        "participant_member",
        lambda m, s: f"/pledges/{s['pledge'].id}/amend",
        {"amount": "abc", "due_date": _due, "reason": "追加"},
        ("amount",),
    ),
    Case(
        "/pledges/{pledge_id:id}/amend",
        "participant_member",
        lambda m, s: f"/pledges/{s['pledge'].id}/amend",
        {"amount": "2000000", "due_date": _due, "reason": "追加"},  # over the open
        ("amount",),
    ),
    Case(
        "/pledges/{pledge_id:id}/withdraw",
        "participant_member",
        lambda m, s: f"/pledges/{s['pledge'].id}/withdraw",
        {"reason": ""},
        ("reason",),
    ),
    Case(
        "/donations",
        "county_officer",
        lambda m, s: "/donations",
        {
            # every error at once: no need picked (the search found nothing), no donor picked,
            # an amount with a third decimal
            "need_q": "没有这个需求",
            "amount": "1.234",
            "received_on": _today,
            "kind": "cash",
        },
        ("need_q", "donor_q", "amount"),
        # org is added from the fixture
    ),
    Case(
        "/donations/{donation_id:id}/cancel",
        "county_officer",
        lambda m, s: f"/donations/{s['recorded'].id}/cancel",
        {"reason": "作" * 501},
        ("reason",),
    ),
    Case(
        "/donations/{donation_id:id}/reverse",
        "county_officer",
        lambda m, s: f"/donations/{s['donation'].id}/reverse",
        {"reason": "", "idempotency_key": "r" * 16},
        ("reason",),
    ),
    Case(
        "/pledges/{pledge_id:id}/release",
        "county_officer",
        lambda m, s: f"/pledges/{s['pledge'].id}/release",
        {"reason": "作" * 501},
        ("reason",),
    ),
    Case(
        "/receipts/{receipt_id:id}/official",
        "county_officer",
        lambda m, s: f"/receipts/{s['receipt'].id}/official",
        {"receipt_code": "", "receipt_number": "", "check_code": "12345"},
        ("receipt_code", "receipt_number"),
    ),
    Case(
        "/receipts/{receipt_id:id}/void",
        "county_officer",
        lambda m, s: f"/receipts/{s['receipt'].id}/void",
        {"reason": "作" * 501},
        ("reason",),
    ),
    Case(
        "/needs/new",
        "village_worker",
        lambda m, s: "/needs/new",
        {
            "category": "roads",
            "title": "",
            "description": "修一条村道",
            "target_yuan": "abc",
            "deadline": _due,
            "beneficiary_households": "12",
        },
        ("title", "target_yuan"),
        # region_code is added from the fixture
    ),
    Case(
        "/needs/{need_id:id}/edit",
        "village_worker",
        lambda m, s: f"/needs/{s['draft'].id}/edit",
        {
            "category": "roads",
            "title": "村道硬化",
            "description": "",
            "target_yuan": "-5",
            "deadline": _due,
            "beneficiary_households": "12",
        },
        ("description", "target_yuan"),
    ),
    Case(
        "/recipients",
        "national_admin",
        lambda m, s: "/recipients",
        {"kind": "qualified_org", "name": "某基金会", "uscc": "12345", "code": "x"},
        ("uscc",),
    ),
    Case(
        "/recipients/{org_id:id}/qualifications",
        "national_admin",
        lambda m, s: f"/recipients/{m.foundation.id}/qualifications",
        {"start_year": "20x4", "end_year": "1999", "list_reference": "财税〔2024〕1号"},
        ("start_year", "end_year"),
    ),
    Case(
        "/needs/{need_id:id}/transition",
        "village_worker",
        lambda m, s: f"/needs/{s['draft'].id}/transition",
        {"action": "withdraw", "reason": " "},
        ("reason",),
    ),
    Case(
        "/needs/{need_id:id}/attachments",
        "village_worker",
        lambda m, s: f"/needs/{s['draft'].id}/attachments",
        {"purpose": "budget"},
        ("file",),
    ),
    Case(
        "/needs/{need_id:id}/invitations",
        "county_officer",
        lambda m, s: f"/needs/{m.need.id}/invitations",
        {"participant_id": "__donor__", "message": "请" * 501},
        ("message",),
    ),
    Case(
        "/commendation/office/new",
        "national_admin",
        lambda m, s: "/commendation/office/new",
        {**ROUND_FORM, "title": "", "dedication_collective_quota": "两个"},
        ("title", "dedication_collective_quota"),
    ),
    Case(
        "/commendation/office/{rid:id}/categories",
        "national_admin",
        lambda m, s: f"/commendation/office/{s['round']}/categories",
        {"category": "", "quota": "7", "min_money": "5万"},
        ("category",),
    ),
    Case(
        "/commendation/office/{rid:id}/cancel",
        "national_admin",
        lambda m, s: f"/commendation/office/{s['round']}/cancel",
        {"reason": ""},
        ("reason",),
    ),
    Case(
        "/commendation/office/{rid:id}/objections/{oid:id}/resolve",
        "national_admin",
        lambda m, s: f"/commendation/office/{s['round']}/objections/{s['objection']}/resolve",
        {"decision": "upheld", "resolution": "查" * 5001},
        ("resolution",),
    ),
    Case(
        "/commendation/{rid:id}/objections",
        None,
        lambda m, s: f"/commendation/{s['round']}/objections",
        {
            "nomination_id": "__nominee__",
            "name": "",
            "contact": "139",
            "content": "捐赠金额与实际不符。",
        },
        ("name",),
    ),
    Case(
        "/dashboards/pairs/new",
        "national_admin",
        lambda m, s: "/dashboards/pairs/new",
        {
            "kind": "east_west",
            "helper_id": "abc",
            "helped_region_code": "532627",
            "start_year": "2022",
        },
        ("helper_id",),
    ),
    Case(
        "/dashboards/pairs/{pair_id:id}/figures",
        "national_admin",
        lambda m, s: f"/dashboards/pairs/{s['pair'].id}/figures",
        {"year": "2022", "target.fiscal_aid": "abc", "summary": "总结"},
        ("target.fiscal_aid",),
    ),
    Case(
        "/dashboards/pairs/{pair_id:id}/end",
        "national_admin",
        lambda m, s: f"/dashboards/pairs/{s['pair'].id}/end",
        {"end_year": "soon", "reason": "调整"},
        ("end_year",),
    ),
    Case(
        "/dashboards/pairs/{pair_id:id}/redraw",
        "national_admin",
        lambda m, s: f"/dashboards/pairs/{s['pair'].id}/redraw",
        {"start_year": "x", "helper_id": "y", "reason": "调整"},
        ("start_year", "helper_id"),
    ),
    Case(
        "/tax/{pid:id}/{year}/paper",
        "participant_member",
        lambda m, s: f"/tax/{m.world.participants['enterprise'].id}/2026/paper",
        {"format": "html", "profit_2025": "500万", "profit_2026": "一千万"},
        ("profit_2026",),
    ),
    Case(
        "/needs/import",
        "county_officer",
        lambda m, s: "/needs/import",
        {},
        ("file",),
    ),
    Case(
        "/regions/{code:region}/villages/poor-import",
        "county_officer",
        lambda m, s: "/regions/532627/villages/poor-import",
        {"then": "dry_run"},
        ("file",),
    ),
    Case(
        "/needs/{need_id:id}/deadline",
        "county_officer",
        lambda m, s: f"/needs/{m.need.id}/deadline",
        {"deadline": "2020-13-45", "reason": ""},
        ("deadline", "reason"),
    ),
    Case(
        "/needs/{need_id:id}/updates",
        "county_officer",
        lambda m, s: f"/needs/{m.need.id}/updates",
        {"kind": "", "text": "开工" * 1001},
        ("kind", "text"),
    ),
    Case(
        "/account/password",
        "county_officer",
        lambda m, s: "/account/password",
        {"current_password": "", "new_password": "", "confirm": ""},
        ("new_password",),
    ),
    Case(
        "/login",
        None,
        lambda m, s: "/login",
        {"username": "nobody-here", "password": "wrong password"},
        ("password",),
    ),
    Case(
        "/set-password/{token}",
        None,
        lambda m, s: f"/set-password/{s['link']}",
        {"password": "short", "confirm": "short"},
        ("password",),
    ),
    Case(
        "/account/tokens",
        "county_officer",
        lambda m, s: "/account/tokens",
        {"name": "财务系统", "days": "3650"},
        ("days",),
    ),
    Case(
        "/admin/participants",
        "national_admin",
        lambda m, s: "/admin/participants",
        {
            "kind": "enterprise",
            "name": "某某科技有限公司",
            "uscc": "12345",
            "id_number": "",
            "region_code": "530000",
            "description": "简介",
        },
        ("uscc",),
    ),
    Case(
        "/admin/users",
        "national_admin",
        lambda m, s: "/admin/users",
        {
            "username": "a b",
            "display_name": "张三",
            "role": "county_officer",
            "region_code": "532627",
            "participant_id": "",
        },
        ("username",),
    ),
    Case(
        "/recipients/{org_id:id}/bank-account",
        "county_officer",
        lambda m, s: f"/recipients/{m.county_gov.id}/bank-account",
        {"bank_name": "", "account_name": "广南县人民政府", "account_number": "12ab"},
        ("bank_name", "account_number"),
    ),
    Case(
        "/regions/{code:region}/villages",
        "county_officer",
        lambda m, s: "/regions/532627/villages",
        {"township_code": "532627101", "code": "5326271019", "name": "新寨村"},
        ("code",),
    ),
    Case(
        "/regions/{code:region}/villages/rename",
        "county_officer",
        lambda m, s: "/regions/532627/villages/rename",
        {"village": "532627101001", "new_name": ""},
        ("new_name",),
    ),
    Case(
        "/regions/{code:region}/villages/merge",
        "county_officer",
        lambda m, s: "/regions/532627/villages/merge",
        {"merged": "532627101001", "into": "513431105201"},
        ("into",),
    ),
    Case(
        "/webhooks",
        "participant_member",
        lambda m, s: "/webhooks",
        {
            "url": "ftp://partner.example/hook",
            "description": "合作平台",
            "event_types": "need.funded",
        },
        ("url",),
    ),
    Case(
        "/webhooks/{endpoint_id:id}",
        "county_officer",
        lambda m, s: f"/webhooks/{s['webhook'].id}",
        {"url": "http://10.0.0.8/hook", "description": "省平台", "event_types": "need.funded"},
        ("url",),
    ),
    Case(
        "/disclosures",
        "county_officer",
        lambda m, s: "/disclosures",
        {"level": "county", "kind": "allocation", "title": "", "body": "分配结果"},
        ("title", "complaint_channel"),
    ),
    Case(
        "/disclosures/{disclosure_id:id}/take-down",
        "county_officer",
        lambda m, s: f"/disclosures/{s['notice'].id}/take-down",
        {"reason": "项目调整"},  # inside the 10-day display period
        ("reason",),
    ),
    Case(
        "/complaints",
        None,
        lambda m, s: "/complaints",
        {"subject": "need", "content": "太短", "anonymous": "", "name": "王五"},
        ("content", "contact"),
        # target_id is added from the fixture
    ),
    Case(
        "/complaints/office/{complaint_id:id}/handle",
        "county_officer",
        lambda m, s: f"/complaints/office/{s['complaint'].id}/handle",
        {"action": "refuse", "reason": ""},
        ("reason",),
    ),
    Case(
        "/regions/{code:region}/villages/poor",
        "county_officer",
        lambda m, s: "/regions/532627/villages/poor",
        {"poor_village": "532627101001", "is_poor": "yes", "identified_year": "1999"},
        ("identified_year",),
    ),
    Case(
        "/me/notifications/settings",
        "participant_member",
        lambda m, s: "/me/notifications/settings",
        {"email": "not an address", "channel_pledge_due": "email"},
        ("email",),
    ),
]


def _post_routes(app: Any) -> set[str]:
    found: set[str] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                if not (prefix + route.path).startswith(("/api", "/static")):
                    walk(list(route.routes or []), prefix + route.path)
            elif isinstance(route, Route) and route.methods and "POST" in route.methods:
                found.add(prefix + route.path)

    walk(list(app.routes), "")
    return found


async def test_every_html_form_is_placed(app: Any) -> None:
    routes = _post_routes(app)
    checked = {case.route for case in CASES}
    assert not (checked & BUTTONS) and not (checked & REMAINING) and not (BUTTONS & REMAINING)
    assert routes == checked | BUTTONS | REMAINING, (
        f"unplaced: {sorted(routes - checked - BUTTONS - REMAINING)}; "
        f"gone: {sorted((checked | BUTTONS | REMAINING) - routes)}"
    )


Setup = Callable[[Money], Awaitable[dict[str, Any]]]


async def _round(admin: Any, m: Money, *, objections: bool) -> dict[str, Any]:
    """A round created through its form; for the objection forms, put on notice with one
    nominee and one objection (rows made directly: ranking and the notice are tested with the
    commendation)."""
    created = await admin.post("/commendation/office/new", data={"csrf_token": CSRF, **ROUND_FORM})
    assert created.status_code == 303, created.text[:300]
    rid = int(created.headers["location"].rsplit("/", 1)[1])
    if not objections:
        return {"round": rid}
    found = await CommendationRound.get(id=rid)
    found.state = "notice"
    found.notice_start = found.notice_end = today_cn()
    await found.save()
    category = await RoundCategory.filter(round_id=rid).first()
    assert category is not None
    nomination = await Nomination.create(
        round_id=rid,
        category_id=category.id,
        participant_id=m.world.participants["enterprise"].id,
        status="nominee",
        rank=1,
        public_name="测试企业",
    )
    objection = await Objection.create(
        round_id=rid, nomination=nomination, name="张三", contact="139", content="请核实捐赠金额。"
    )
    return {"round": rid, "nomination": nomination.id, "objection": objection.id}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.route}:{','.join(c.fields)}")
async def test_invalid_input_comes_back_in_the_form_with_a_message_by_each_field(
    client_as: Any, world: Any, case: Case
) -> None:
    m = await build_money(world)
    made = await _setup(m)
    if case.route.startswith("/commendation/") and case.route != "/commendation/office/new":
        made |= await _round(client_as("national_admin"), m, objections="objections" in case.route)
    typed_in = case.typed()
    data = {"csrf_token": CSRF, **typed_in}
    if case.route == "/pledges":
        data["need_id"] = str(m.need.id)
    if case.route == "/donations":
        data["org"] = str(m.county_gov.id)
    if case.route.startswith("/dashboards/pairs/{"):
        made["pair"] = await Pair.create(
            kind="east_west",
            helper_id=world.participants["east_partner"].id,
            helped_region_id="532627",
            start_year=2021,
        )
    if case.route.startswith("/tax/"):
        await build_example_e(world)  # donations over the years the working paper covers
    if data.get("nomination_id") == "__nominee__":
        data["nomination_id"] = str(made["nomination"])
    if data.get("participant_id") == "__donor__":  # a participant listed as a likely donor
        data["participant_id"] = str(m.world.participants["enterprise"].id)
    if case.route == "/needs/new":
        data["region_code"] = m.world.village.code
    if case.route == "/complaints":
        data["target_id"] = str(m.need.id)
    url = case.url(m, made)
    response = await client_as(case.who).post(url, data=data)
    # 401: a refused login (which of name and password was wrong is not said).
    assert response.status_code in (400, 401, 409, 422), response.status_code
    page = response.text
    assert "返回首页" not in page, page[:400]  # not the generic error page
    # The form that was posted (a page may hold other forms with fields of the same name, and
    # several forms posting to one address, one per step: the one marked refused).
    forms = re.findall(
        rf'<form method="post" action="{re.escape(url)}"[^>]*>.*?</form>', page, re.DOTALL
    )
    assert forms, "the posted form is not on the page"
    marked = [f for f in forms if 'class="field-error"' in f]
    form = re.search(r".*", (marked or forms)[0], re.DOTALL)
    assert form
    for field in case.fields:
        element = re.search(
            rf'<(input|textarea|select)[^>]*name="{field}"[^>]*>(.*?)</label>',
            form.group(0),
            re.DOTALL,
        )
        assert element, f"{field}: not in the form"
        assert re.search(
            rf'class="field-error" id="error-{field}"[^>]*>[^<]+<', element.group(0)
        ), f"{field}: no message next to it"
        typed = typed_in.get(field, "")
        if typed and "password" not in field:  # a password is never sent back
            assert typed in element.group(0), f"{field}: lost what was typed"
