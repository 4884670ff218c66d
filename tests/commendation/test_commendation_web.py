"""Commendation pages and API (docs/domain.md §3.9): the office runs a round from the browser, the public
sees published lists and objects during the notice, refusals write nothing, roles are kept."""

from __future__ import annotations

from datetime import date

import pytest

from fupin.commendation.models import CommendationRound, Nomination, Objection, RoundCategory
from fupin.commendation.service.notice import OBJECTION_LIMIT, file_objection, publish_notice
from fupin.core.clock import today_cn
from tests.support.contract import CONTRACT_HOOKS
from tests.support.world import CSRF
from tests.tax.builders import seed_round_world

ROUND_FORM = {
    "csrf_token": CSRF,
    "title": "2021–2025 社会扶贫表彰",
    "first_year": "2021",
    "last_year": "2025",
    "notice_working_days": "5",
    "objection_channel": "国务院扶贫办 12317",
    "dedication_collective_include": "1",
    "dedication_collective_quota": "2",
    "dedication_collective_min_money": "10万",
    "dedication_collective_min_honour": "60",
    "dedication_individual_include": "1",
    "dedication_individual_quota": "1",
    "contribution_collective_include": "1",
    "contribution_collective_quota": "1",
}


async def _create_by_form(client) -> int:
    response = await client.post("/commendation/office/new", data=ROUND_FORM)
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].rsplit("/", 1)[1])


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"last_year": "2024"}, "恰好为五个自然年度"),
        ({"first_year": "2019", "last_year": "2023"}, "重叠"),
        ({"dedication_collective_quota": "0"}, "名额必须大于零"),
        ({"dedication_collective_quota": "两个"}, "请填写整数"),
        ({"dedication_collective_min_honour": "120"}, "百分比"),
        ({"dedication_collective_min_money": "-5"}, "不能为负数"),
    ],
)
async def test_bad_round_form_is_refused_with_nothing_written(
    world, client_as, changes, fragment
) -> None:
    client = client_as("national_admin")
    await _create_by_form(client)
    before = await CommendationRound.all().count()
    response = await client.post(
        "/commendation/office/new", data={**ROUND_FORM, "title": "第二轮", **changes}
    )
    assert response.status_code == 422
    assert fragment in response.text
    assert await CommendationRound.all().count() == before


async def test_office_runs_a_round_and_the_public_sees_it(world, client_as) -> None:
    seed = await seed_round_world(world)
    admin = client_as("national_admin")
    public = client_as(None)
    rid = await _create_by_form(admin)
    assert (await public.get(f"/commendation/{rid}")).status_code == 404  # draft: not public
    ranked = await admin.post(f"/commendation/office/{rid}/rank", data={"csrf_token": CSRF})
    assert ranked.status_code == 303
    page = await admin.get(f"/commendation/office/{rid}")
    assert page.status_code == 200
    assert seed.people["e1"].name in page.text and "证明材料" in page.text
    assert "有匿名捐赠，且未同意被推荐和公示" in page.text
    e1 = await Nomination.get(round_id=rid, participant_id=seed.people["e1"].id)
    evidence = await admin.get(f"/commendation/office/{rid}/nominations/{e1.id}")
    assert evidence.status_code == 200 and "石门村饮水池" in evidence.text
    export = await admin.get(f"/commendation/office/{rid}/export.csv")
    assert export.status_code == 200 and seed.people["anon"].name in export.text
    # Public notice from today: the list is public with the objection form.
    notice = await admin.post(
        f"/commendation/office/{rid}/notice",
        data={"csrf_token": CSRF, "notice_start": today_cn().isoformat()},
    )
    assert notice.status_code == 303
    shown = await public.get(f"/commendation/{rid}")
    assert shown.status_code == 200
    assert seed.people["e1"].name in shown.text
    assert seed.people["anon"].name not in shown.text  # excluded entries are not published
    assert seed.people["small"].name not in shown.text  # nor the reserves
    assert 'name="nomination_id"' in shown.text
    filed = await public.post(
        f"/commendation/{rid}/objections",
        data={
            "csrf_token": CSRF,
            "nomination_id": str(e1.id),
            "name": "王五",
            "contact": "13800000000",
            "content": "捐赠金额与实际不符，请核实。",
        },
    )
    assert filed.status_code == 303
    assert await Objection.filter(round_id=rid).count() == 1
    again = await public.get(f"/commendation/{rid}")
    assert "王五" not in again.text and "13800000000" not in again.text
    listing = await public.get("/api/v1/commendation/rounds")
    assert [r["id"] for r in listing.json()["items"]] == [rid]
    nominees = (await public.get(f"/api/v1/commendation/rounds/{rid}/nominations")).json()
    assert {i["name"] for i in nominees["items"]} >= {seed.people["e1"].name}
    assert all("figures" not in i for i in nominees["items"])
    inbox = await admin.get(f"/commendation/office/{rid}/objections")
    assert "王五" in inbox.text


async def test_objection_after_the_notice_closed_is_refused_and_the_round_finishes(
    world, client_as
) -> None:
    seed = await seed_round_world(world)
    admin = client_as("national_admin")
    rid = await _create_by_form(admin)
    await admin.post(f"/commendation/office/{rid}/rank", data={"csrf_token": CSRF})
    # A notice that ran 2026-11-02 … 2026-11-06, before "today" (2026-11-29 or later).
    await publish_notice(
        actor=None, round_id=rid, start=date(2026, 11, 2), today=date(2026, 11, 2), system=True
    )
    anon_ok = await Nomination.get(round_id=rid, participant_id=seed.people["anon_ok"].id)
    objection = await file_objection(
        round_id=rid, nomination_id=anon_ok.id, name="赵六", contact="zhao@example.cn",
        content="曾有违法记录，请核实。", today=date(2026, 11, 4),
    )  # fmt: skip
    public = client_as(None)
    late = await public.post(
        f"/commendation/{rid}/objections",
        data={
            "csrf_token": CSRF,
            "nomination_id": str(anon_ok.id),
            "name": "李四",
            "contact": "139",
            "content": "公示期结束后提交的异议。",
        },
    )
    assert late.status_code == 409
    assert "公示期已于 2026-11-06 结束" in late.text
    assert await Objection.filter(round_id=rid).count() == 1
    # The final list cannot be published while an objection is open.
    blocked = await admin.post(f"/commendation/office/{rid}/final", data={"csrf_token": CSRF})
    assert blocked.status_code == 409 and "未处理" in blocked.text
    resolved = await admin.post(
        f"/commendation/office/{rid}/objections/{objection.id}/resolve",
        data={"csrf_token": CSRF, "decision": "upheld", "resolution": "经核实，情况属实。"},
    )
    assert resolved.status_code == 303
    final = await admin.post(f"/commendation/office/{rid}/final", data={"csrf_token": CSRF})
    assert final.status_code == 303
    shown = await public.get(f"/commendation/{rid}")
    assert seed.people["e1"].name in shown.text
    assert seed.people["anon_ok"].name not in shown.text
    csv_list = await public.get(f"/commendation/{rid}/list.csv")
    assert seed.people["e1"].name in csv_list.text and "赵六" not in csv_list.text


@pytest.mark.parametrize(
    ("role", "office_get", "office_post"),
    [
        (None, 303, 401),
        ("participant_member", 403, 403),
        ("province_office", 403, 403),
        ("county_officer", 403, 403),
        ("auditor", 200, 403),
        ("national_admin", 200, 303),
    ],
)
async def test_only_the_national_office_runs_rounds_auditors_read(
    world, client_as, role, office_get, office_post
) -> None:
    admin = client_as("national_admin")
    rid = await _create_by_form(admin)
    client = client_as(role)
    response = await client.get(f"/commendation/office/{rid}")
    assert response.status_code == office_get
    if role == "auditor":
        assert "计算排名" not in response.text  # read-only
    ranked = await client.post(f"/commendation/office/{rid}/rank", data={"csrf_token": CSRF})
    assert ranked.status_code == office_post
    assert (await client.get("/commendation")).status_code == 200


async def test_api_round_lifecycle_and_validation(world, client_as) -> None:
    from fupin.accounts.service import users as accounts

    token = await accounts.create_api_token(user=world.users["national_admin"], name="t")
    auth = {"Authorization": f"Bearer {token}"}
    client = client_as(None)
    body = {
        "title": "API 轮次",
        "first_year": 2021,
        "last_year": 2025,
        "categories": [{"award_type": "dedication", "scope": "collective", "quota": 2}],
    }
    zero = await client.post(
        "/api/v1/commendation/rounds",
        json={**body, "categories": [{**body["categories"][0], "quota": 0}]},
        headers=auth,
    )
    assert zero.status_code == 422 and zero.json()["error"]["code"] == "quota_not_positive"
    created = await client.post("/api/v1/commendation/rounds", json=body, headers=auth)
    assert created.status_code == 201
    rid = created.json()["id"]
    overlap = await client.post(
        "/api/v1/commendation/rounds", json={**body, "first_year": 2024, "last_year": 2028},
        headers=auth,
    )  # fmt: skip
    assert overlap.status_code == 422 and overlap.json()["error"]["code"] == "window_overlaps"
    anonymous = await client.post("/api/v1/commendation/rounds", json=body)
    assert anonymous.status_code == 401
    assert (await client.get(f"/api/v1/commendation/rounds/{rid}")).status_code == 404
    assert (await client.get(f"/api/v1/commendation/rounds/{rid}", headers=auth)).status_code == 200
    ranked = await client.post(f"/api/v1/commendation/rounds/{rid}/rank", headers=auth)
    assert ranked.status_code == 200
    member = client_as("participant_member")
    denied = await member.post(
        f"/api/v1/commendation/rounds/{rid}/rank", headers={"X-CSRF-Token": CSRF}
    )
    assert denied.status_code == 403
    early = await client.post(
        f"/api/v1/commendation/rounds/{rid}/objections",
        json={"nomination_id": 1, "name": "甲", "contact": "1", "content": "公示前的异议内容。"},
    )
    assert early.status_code == 404


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "表彰\x00轮次"}, "title"),
        ({"categories": [{"award_type": "dedication", "scope": "collective", "quota": 10**12}]},
         "categories[0].quota"),
        ({"categories": [{"award_type": "dedication", "scope": "collective", "quota": 1,
                          "min_completed_needs": 2**40}]}, "categories[0].min_completed_needs"),
        ({"first_year": 10**12}, "first_year"),
        ({"categories": "all"}, "categories"),
        ({"notice_working_days": 0}, "notice_working_days"),
    ],
)  # fmt: skip
async def test_api_refuses_out_of_range_input_without_a_server_error(
    world, client_as, changes, field
) -> None:
    from fupin.accounts.service import users as accounts

    token = await accounts.create_api_token(user=world.users["national_admin"], name="t")
    body = {
        "title": "API 轮次",
        "first_year": 2021,
        "last_year": 2025,
        "categories": [{"award_type": "dedication", "scope": "collective", "quota": 2}],
        **changes,
    }
    response = await client_as(None).post(
        "/api/v1/commendation/rounds", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert await CommendationRound.all().count() == 0


async def test_public_objection_api_refuses_a_huge_nomination_id(world, client_as) -> None:
    seed = await seed_round_world(world)
    admin = client_as("national_admin")
    rid = await _create_by_form(admin)
    await admin.post(f"/commendation/office/{rid}/rank", data={"csrf_token": CSRF})
    await publish_notice(actor=None, round_id=rid, system=True)
    response = await client_as(None).post(
        f"/api/v1/commendation/rounds/{rid}/objections",
        json={
            "nomination_id": 2**40,
            "name": "甲",
            "contact": "1",
            "content": "内容足够长的异议说明。",
        },
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "nomination_id"
    e1 = await Nomination.get(round_id=rid, participant_id=seed.people["e1"].id)
    ok = await client_as(None).post(
        f"/api/v1/commendation/rounds/{rid}/objections",
        json={
            "nomination_id": e1.id,
            "name": "甲",
            "contact": "1",
            "content": "内容足够长的异议说明。",
        },
    )
    assert ok.status_code == 201


@pytest.mark.both_databases
async def test_one_sender_cannot_flood_the_objection_form(world, client_as, app) -> None:
    import httpx

    from tests.conftest import TEST_SECRET
    from tests.support.world import session_cookie

    seed = await seed_round_world(world)
    admin = client_as("national_admin")
    rid = await _create_by_form(admin)
    await admin.post(f"/commendation/office/{rid}/rank", data={"csrf_token": CSRF})
    await publish_notice(actor=None, round_id=rid, system=True)
    e1 = await Nomination.get(round_id=rid, participant_id=seed.people["e1"].id)
    public = client_as(None)  # every request from 127.0.0.1

    def form(contact: str) -> dict[str, str]:
        return {
            "csrf_token": CSRF,
            "nomination_id": str(e1.id),
            "name": "王五",
            "contact": contact,
            "content": "该单位捐赠款项未实际到位，请核实。",
        }

    for i in range(OBJECTION_LIMIT):
        sent = await public.post(f"/commendation/{rid}/objections", data=form(f"13{i:09d}"))
        assert sent.status_code == 303, sent.text
    flooded = await public.post(f"/commendation/{rid}/objections", data=form("13900000099"))
    assert flooded.status_code == 429 and "最多提交 10 条异议" in flooded.text
    by_api = await public.post(
        f"/api/v1/commendation/rounds/{rid}/objections",
        json={"nomination_id": e1.id, "name": "王五", "contact": "13900000098",
              "content": "同一地址经 API 提交的第十一条异议。"},
    )  # fmt: skip
    assert by_api.status_code == 429
    assert by_api.json()["error"]["code"] == "objection_rate_limited"
    assert await Objection.filter(round_id=rid).count() == OBJECTION_LIMIT

    # Another sender is still heard; the same contact from a new address is not a way round.
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 40000)),
        base_url="http://testserver",
        cookies={"fupin_session": session_cookie(TEST_SECRET, {"csrf": CSRF})},
        event_hooks=CONTRACT_HOOKS,
    )
    async with other:
        heard = await other.post(f"/commendation/{rid}/objections", data=form("zhang@example.cn"))
        assert heard.status_code == 303
        # A contact that already filed ten (from anywhere) is refused from a new address too.
        first_ten = await Objection.filter(round_id=rid).order_by("id").limit(10)
        await Objection.filter(id__in=[o.id for o in first_ten]).update(contact="13000000000")
        same_contact = await other.post(f"/commendation/{rid}/objections", data=form("13000000000"))
        assert same_contact.status_code == 429
    stored = await Objection.filter(round_id=rid).values_list("source_hash", flat=True)
    assert "" not in stored and not any("127.0.0.1" in s or "203.0.113" in s for s in stored)
    assert len(set(stored)) == 2


async def test_refused_category_and_objection_forms_show_the_round_again(world, client_as) -> None:
    """The office pages re-shown with the refusal: a category form without a category, deleting
    the last category, a resolution without a decision."""
    admin = client_as("national_admin")
    rid = await _create_by_form(admin)
    bad = await admin.post(
        f"/commendation/office/{rid}/categories",
        data={"csrf_token": CSRF, "category": "", "quota": "7", "min_money": "5万"},
    )
    assert bad.status_code == 422 and "请选择类别" in bad.text
    assert 'name="quota" inputmode="numeric" value="7"' in bad.text
    categories = await RoundCategory.filter(round_id=rid).order_by("id")
    for category in categories[:-1]:
        removed = await admin.post(
            f"/commendation/office/{rid}/categories/{category.id}/delete", data={"csrf_token": CSRF}
        )
        assert removed.status_code == 303
    last = await admin.post(
        f"/commendation/office/{rid}/categories/{categories[-1].id}/delete",
        data={"csrf_token": CSRF},
    )
    assert last.status_code == 422 and "类别" in last.text
    assert await RoundCategory.filter(round_id=rid).count() == 1
    # An objection on a round in its notice period (rows made directly: ranking is tested above).
    found = await CommendationRound.get(id=rid)
    found.state = "notice"
    found.notice_start = found.notice_end = today_cn()
    await found.save()
    nomination = await Nomination.create(
        round_id=rid,
        category_id=categories[-1].id,
        participant_id=world.participants["enterprise"].id,
        status="nominee",
        rank=1,
        public_name="测试企业",
    )
    objection = await Objection.create(
        round_id=rid, nomination=nomination, name="张三", contact="139", content="请核实捐赠金额。"
    )
    undecided = await admin.post(
        f"/commendation/office/{rid}/objections/{objection.id}/resolve",
        data={"csrf_token": CSRF, "resolution": "已核实。"},
    )
    assert undecided.status_code == 422 and "请选择异议是否成立" in undecided.text
    assert (await Objection.get(id=objection.id)).state == "open"


def _fields(response) -> dict[str, str]:
    """Every field a 422 names, with its code."""
    assert response.status_code == 422, response.text[:500]
    error = response.json()["error"]
    return {e["field"]: e["code"] for e in error.get("errors") or [error]}


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"title": ""}, "请填写表彰轮次名称"),
        ({"first_year": ""}, "请填写整数"),
        ({"notice_working_days": "五"}, "请填写整数"),
        ({"notice_working_days": "31"}, "公示期应为 1 至 30 个工作日"),
        ({"dedication_individual_quota": ""}, "请填写整数"),
        ({"contribution_collective_min_villages": "1.5"}, "请填写整数"),
        ({"dedication_collective_min_money": "十万"}, "不是数字金额"),
    ],
)
async def test_round_form_names_each_bad_field(world, client_as, changes, fragment) -> None:
    client = client_as("national_admin")
    response = await client.post("/commendation/office/new", data={**ROUND_FORM, **changes})
    assert response.status_code == 422 and fragment in response.text
    assert await CommendationRound.all().count() == 0


async def test_round_form_lists_every_bad_field_by_name(world, client_as) -> None:
    client = client_as("national_admin")
    bad = {"title": "", "first_year": "二〇二一", "dedication_individual_quota": "-"}
    response = await client.post("/commendation/office/new", data={**ROUND_FORM, **bad})
    assert response.status_code == 422
    for field in bad:
        assert f"<strong>{field}</strong>" in response.text
    assert await CommendationRound.all().count() == 0


async def test_round_form_ignores_unknown_fields(world, client_as) -> None:
    client = client_as("national_admin")
    response = await client.post("/commendation/office/new", data={**ROUND_FORM, "colour": "red"})
    assert response.status_code == 303


async def test_office_forms_refuse_bad_input_by_field(world, client_as) -> None:
    admin = client_as("national_admin")
    rid = await _create_by_form(admin)
    category = {"csrf_token": CSRF, "category": "dedication:collective", "quota": "3"}
    honour = await admin.post(
        f"/commendation/office/{rid}/categories", data={**category, "min_honour": "100.5"}
    )
    assert honour.status_code == 422 and "百分比" in honour.text
    unknown = await admin.post(
        f"/commendation/office/{rid}/categories", data={**category, "category": "army:collective"}
    )
    assert unknown.status_code == 422 and "请选择类别" in unknown.text
    no_quota = await admin.post(
        f"/commendation/office/{rid}/categories", data={**category, "quota": ""}
    )
    assert no_quota.status_code == 422 and "请填写整数" in no_quota.text
    saved = await admin.post(
        f"/commendation/office/{rid}/categories",
        data={**category, "min_money": "5万", "min_honour": "62.5%", "x": "1"},
    )
    assert saved.status_code == 303
    row = await RoundCategory.get(round_id=rid, award_type="dedication", scope="collective")
    assert (row.quota, row.min_confirmed_money_fen, row.min_honour_rate_bp) == (3, 5_000_000, 6250)
    await admin.post(f"/commendation/office/{rid}/rank", data={"csrf_token": CSRF})
    bad_date = await admin.post(
        f"/commendation/office/{rid}/notice", data={"csrf_token": CSRF, "notice_start": "明天"}
    )
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.text
    assert (await CommendationRound.get(id=rid)).state == "nominations"


async def test_public_objection_form_names_each_bad_field(world, client_as) -> None:
    seed = await seed_round_world(world)
    admin = client_as("national_admin")
    rid = await _create_by_form(admin)
    await admin.post(f"/commendation/office/{rid}/rank", data={"csrf_token": CSRF})
    await publish_notice(actor=None, round_id=rid, system=True)
    e1 = await Nomination.get(round_id=rid, participant_id=seed.people["e1"].id)
    form = {
        "csrf_token": CSRF,
        "nomination_id": str(e1.id),
        "name": "王五",
        "contact": "13800000000",
        "content": "捐赠金额与实际不符，请核实。",
    }
    public = client_as(None)
    for changes, fragment in [
        ({"name": ""}, "请填写您的真实姓名"),
        ({"contact": ""}, "请填写联系电话或地址"),
        ({"content": "太短"}, "请具体说明异议的事实和理由"),
        ({"nomination_id": "第一名"}, "字段必须是整数"),
        ({"nomination_id": ""}, "请选择异议针对的推荐对象"),
    ]:
        response = await public.post(f"/commendation/{rid}/objections", data={**form, **changes})
        assert response.status_code == 422, changes
        assert fragment in response.text, changes
    assert await Objection.filter(round_id=rid).count() == 0
    filed = await public.post(f"/commendation/{rid}/objections", data={**form, "extra": "1"})
    assert filed.status_code == 303
    assert await Objection.filter(round_id=rid).count() == 1
    wrong = await admin.post(
        f"/commendation/office/{rid}/objections/{(await Objection.get(round_id=rid)).id}/resolve",
        data={"csrf_token": CSRF, "decision": "maybe", "resolution": "已核实。"},
    )
    assert wrong.status_code == 422 and "不是可选的取值" in wrong.text


async def test_api_names_each_bad_field_in_our_words(world, client_as) -> None:
    """Missing fields say what to fill in (the sentences of the forms); other problems keep
    the shared codes; an excluded entry's evidence is an empty object."""
    from fupin.accounts.service import users as accounts

    seed = await seed_round_world(world)
    token = await accounts.create_api_token(user=world.users["national_admin"], name="t")
    auth = {"Authorization": f"Bearer {token}"}
    client = client_as(None)
    rid = await _create_by_form(client_as("national_admin"))
    ranked = await client.post(f"/api/v1/commendation/rounds/{rid}/rank", headers=auth)
    excluded = next(n for n in ranked.json()["nominations"] if n["status"] == "excluded")
    assert excluded["reasons"] and all(r["message"] for r in excluded["reasons"])
    evidence = await client.get(
        f"/api/v1/commendation/rounds/{rid}/nominations/{excluded['id']}", headers=auth
    )
    assert evidence.status_code == 200 and evidence.json()["evidence"] == {}
    e1 = await Nomination.get(round_id=rid, participant_id=seed.people["e1"].id)
    pack = await client.get(f"/api/v1/commendation/rounds/{rid}/nominations/{e1.id}", headers=auth)
    assert pack.json()["evidence"]["receipts"] and pack.json()["figures"] == e1.figures
    notice = await client.post(
        f"/api/v1/commendation/rounds/{rid}/notice", json={"start": 20261201}, headers=auth
    )
    assert _fields(notice) == {"start": "wrong_type"}
    objection = await client.post(f"/api/v1/commendation/rounds/{rid}/objections", json={})
    assert _fields(objection) == dict.fromkeys(
        ("nomination_id", "name", "contact", "content"), "required"
    )
    assert objection.json()["error"]["message"] == "请选择异议针对的推荐对象。"
    resolve = await client.post("/api/v1/commendation/objections/1/resolve", json={}, headers=auth)
    assert _fields(resolve) == {"decision": "required", "resolution": "required"}
    assert resolve.json()["error"]["message"] == "请选择异议是否成立。"
    category = {"award_type": "dedication", "scope": "collective", "quota": 1}
    negative = await client.post(
        f"/api/v1/commendation/rounds/{rid}/categories",
        json={**category, "min_villages_reached": -1, "min_honour_rate_bp": 10_001},
        headers=auth,
    )
    assert _fields(negative) == {
        "min_villages_reached": "out_of_range",
        "min_honour_rate_bp": "out_of_range",
    }
