"""The needs pages over HTTP: public list and need page, drafting form, review with duplicate
warnings, transitions with reasons, workspace, escaping, exports."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from fupin.core.clock import today_cn
from fupin.needs.models import Need, NeedEvent
from tests.needs.support import future, make_need
from tests.support.world import CSRF


def _form(region_code: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": CSRF,
        "region_code": region_code,
        "category": "roads",
        "title": "石门村通组道路硬化工程",
        "description": "石门村3个村民小组至今仍是泥土路，雨季无法通行，学生上学、农产品运输困难。拟硬化道路2.4公里。",
        "target_yuan": "1,200,000.50",
        "beneficiary_households": "86",
        "beneficiary_people": "320",
        "deadline": future(60).isoformat(),
        "item_name_0": "水泥",
        "item_quantity_0": "300",
        "item_unit_0": "吨",
        "item_value_0": "460",
    }
    data.update(overrides)
    return data


@pytest.mark.both_databases
async def test_village_worker_drafts_on_the_form_and_submits_county_publishes_public_sees_it(
    world, client_as
) -> None:
    worker = client_as("village_worker")
    page = await worker.get("/needs/new")
    assert page.status_code == 200 and world.village.name in page.text
    response = await worker.post("/needs/new", data={**_form(world.village.code), "then": "submit"})
    assert response.status_code == 303
    need = await Need.get(title="石门村通组道路硬化工程")
    assert need.state == "submitted" and need.target_fen == 120_000_050
    assert response.headers["location"] == f"/needs/{need.id}"
    assert (await client_as(None).get(f"/needs/{need.id}")).status_code == 404  # not public yet
    officer = client_as("county_officer")
    review = await officer.get(f"/needs/{need.id}/review")
    assert review.status_code == 200 and "未发现同村同类的相似需求" in review.text
    done = await officer.post(
        f"/needs/{need.id}/transition",
        data={"csrf_token": CSRF, "action": "publish", "back": "review"},
    )
    assert done.status_code == 303
    public = await client_as(None).get("/needs")
    assert "石门村通组道路硬化工程" in public.text
    detail = await client_as(None).get(f"/needs/{need.id}")
    assert detail.status_code == 200
    assert "¥1,200,000.50" in detail.text and "水泥" in detail.text
    assert "县扶贫办" in detail.text and "审核发布" in detail.text  # history, office not person
    assert "county_officer" not in detail.text  # the person's username is not public


async def test_bad_form_input_is_shown_by_field_and_nothing_is_written(world, client_as) -> None:
    response = await client_as("village_worker").post(
        "/needs/new",
        data=_form(
            world.village.code,
            title="",
            target_yuan="-3",
            deadline="2001-01-01",
            item_quantity_0="x",
        ),
    )
    assert response.status_code == 422
    for message in ("标题须为", "目标金额须在", "截止日期须晚于今天", "数量必须是整数"):
        assert message in response.text
    assert await Need.all().count() == 0


@pytest.mark.both_databases
async def test_description_script_is_shown_as_text_everywhere(world, client_as) -> None:
    need = await make_need(world, "published", title="<b>石门村</b>饮水工程")
    await Need.filter(id=need.id).update(
        description="村里缺水。<script>alert('x')</script> 请支持！" * 2
    )
    for path in (f"/needs/{need.id}", "/needs"):
        text = (await client_as(None).get(path)).text
        assert "<script>alert" not in text and "<b>石门村</b>" not in text
    detail = (await client_as(None).get(f"/needs/{need.id}")).text
    assert "&lt;script&gt;alert(" in detail and "&lt;b&gt;石门村&lt;/b&gt;" in detail
    api = await client_as(None).get(f"/api/v1/needs/{need.id}")
    assert api.json()["description"].startswith("村里缺水。<script>")  # JSON carries the text as is


async def test_review_page_warns_of_duplicates_and_publishing_needs_the_checkbox(
    world, client_as
) -> None:
    await make_need(world, "published", title="石门村人畜饮水工程")
    need = await make_need(world, "submitted", title="石门村人畜饮水项目")
    officer = client_as("county_officer")
    review = await officer.get(f"/needs/{need.id}/review")
    assert "可能重复" in review.text and "石门村人畜饮水工程" in review.text
    refused = await officer.post(
        f"/needs/{need.id}/transition",
        data={"csrf_token": CSRF, "action": "publish", "back": "review"},
    )
    assert refused.status_code == 409 and "可能与已有需求重复" in refused.text
    assert (await Need.get(id=need.id)).state == "submitted"
    done = await officer.post(
        f"/needs/{need.id}/transition",
        data={
            "csrf_token": CSRF,
            "action": "publish",
            "back": "review",
            "acknowledge_duplicates": "on",
        },
    )
    assert done.status_code == 303 and (await Need.get(id=need.id)).state == "published"


async def test_returning_without_a_reason_is_refused_and_history_unchanged(
    world, client_as
) -> None:
    need = await make_need(world, "submitted")
    before = await NeedEvent.filter(need_id=need.id).count()
    officer = client_as("county_officer")
    refused = await officer.post(
        f"/needs/{need.id}/transition", data={"csrf_token": CSRF, "action": "return", "reason": " "}
    )
    assert refused.status_code == 422 and "请填写原因" in refused.text
    assert await NeedEvent.filter(need_id=need.id).count() == before
    ok = await officer.post(
        f"/needs/{need.id}/transition",
        data={"csrf_token": CSRF, "action": "return", "reason": "请补充预算测算依据"},
    )
    assert ok.status_code == 303
    page = await client_as("village_worker").get(f"/needs/{need.id}")
    assert "请补充预算测算依据" in page.text and "修改内容" in page.text


async def test_out_of_scope_officer_cannot_review_or_transition(world, client_as) -> None:
    need = await make_need(world, "submitted")
    other = client_as("other_county_officer")
    assert (await other.get(f"/needs/{need.id}/review")).status_code == 404
    response = await other.post(
        f"/needs/{need.id}/transition", data={"csrf_token": CSRF, "action": "publish"}
    )
    assert response.status_code == 404
    published = await make_need(world, "published", title="石门村卫生室建设")
    response = await other.post(
        f"/needs/{published.id}/transition",
        data={"csrf_token": CSRF, "action": "withdraw", "reason": "x"},
    )
    assert response.status_code == 403
    assert (await Need.get(id=published.id)).state == "published"


async def test_public_list_filters_and_pages(world, client_as) -> None:
    for i in range(25):
        await make_need(
            world,
            "published",
            title=f"石门村项目第{i:02d}号建设",
            category="roads" if i % 2 else "health",
        )
    await make_need(
        world, "published", region_code=world.other_village.code, title="新庄村饮水工程"
    )
    await make_need(world, "draft", title="石门村未公开的草稿")
    client = client_as(None)
    first = await client.get("/needs?province=530000&per_page=10")
    assert (
        first.status_code == 200
        and "新庄村饮水工程" not in first.text
        and "未公开的草稿" not in first.text
    )
    assert "第 1 / 3 页" in first.text
    roads = await client.get("/needs?category=roads&county=532627&sort=deadline")
    assert roads.text.count('class="need-card"') == 12
    bad = await client.get("/needs?state=draft")
    assert bad.status_code == 422
    assert (await client.get("/needs?sort=open_amount&province=510000")).text.count(
        'class="need-card"'
    ) == 1


async def test_workspace_shows_my_county_by_state_and_my_village_only(world, client_as) -> None:
    await make_need(world, "submitted", title="石门村待审核需求")
    await make_need(world, "draft", region_code="532627", title="广南县县级统筹项目")
    await make_need(
        world, "published", region_code=world.other_village.code, title="新庄村其他县需求"
    )
    county = await client_as("county_officer").get("/workspace")
    assert county.status_code == 200
    assert "石门村待审核需求" in county.text and "广南县县级统筹项目" in county.text
    assert "新庄村其他县需求" not in county.text and "批量导入" in county.text
    village = await client_as("village_worker").get("/workspace")
    assert "石门村待审核需求" in village.text and "广南县县级统筹项目" not in village.text
    submitted = await client_as("county_officer").get("/workspace?state=submitted")
    assert "石门村待审核需求" in submitted.text and "广南县县级统筹项目" not in submitted.text
    assert (await client_as("participant_member").get("/workspace")).status_code == 403
    assert (await client_as(None).get("/workspace")).status_code == 303


async def test_expired_need_is_shown_as_expired_on_its_page(world, client_as) -> None:
    need = await make_need(world, "published", deadline=today_cn() - timedelta(days=1))
    page = await client_as(None).get(f"/needs/{need.id}")
    assert page.status_code == 200 and "已过期" in page.text
    assert (await Need.get(id=need.id)).state == "expired"


async def test_csv_export_has_bom_header_escaped_formulas_and_only_public_rows(
    world, client_as
) -> None:
    await make_need(world, "published", title='=HYPERLINK("http://x")石门村', target_fen=123_456)
    await make_need(world, "draft", title="石门村草稿不导出")
    response = await client_as(None).get("/needs/export.csv?province=530000")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff编号,标题,")
    assert "'=HYPERLINK" in body and "1234.56" in body and "草稿不导出" not in body


async def test_xlsx_export_of_my_county_includes_drafts_as_typed_cells(world, client_as) -> None:
    await make_need(world, "draft", title="=1+1 石门村草稿", target_fen=100_050)
    response = await client_as("county_officer").get("/needs/export.xlsx?scope=mine")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "标题")
    assert rows[1][1] == "=1+1 石门村草稿" and sheet["B2"].data_type == "s"  # text, not a formula
    assert sheet["G2"].value == 1000.5 and sheet["G2"].data_type == "n"
    assert (await client_as(None).get("/needs/export.xlsx?scope=mine")).status_code == 303


async def test_county_officer_drafts_a_county_wide_need_and_edits_it_in_review(
    world, client_as
) -> None:
    officer = client_as("county_officer")
    # hundreds of villages: the form lists the county and what the picker's search step finds
    form = await officer.get("/needs/new", params={"place_q": world.village.name})
    assert "县级统筹：广南县" in form.text and world.village.name in form.text
    assert f'value="{world.village.code}"' not in (await officer.get("/needs/new")).text
    created = await officer.post(
        "/needs/new", data={**_form("532627", title="广南县乡村医生培训项目"), "then": "submit"}
    )
    assert created.status_code == 303
    need = await Need.get(title="广南县乡村医生培训项目")
    assert need.region_id == "532627" and need.state == "submitted"
    edit = await officer.get(f"/needs/{need.id}/edit")
    assert edit.status_code == 200 and "广南县乡村医生培训项目" in edit.text
    saved = await officer.post(
        f"/needs/{need.id}/edit",
        data=_form("532627", title="广南县乡村医生培训（修订）", then="save"),
    )
    assert (
        saved.status_code == 303
        and (await Need.get(id=need.id)).title == "广南县乡村医生培训（修订）"
    )
    assert (
        await client_as("village_worker").get(f"/needs/{need.id}/edit")
    ).status_code == 404  # not their village


async def test_delivery_needs_evidence_then_the_village_confirms_on_the_page(
    world, client_as
) -> None:
    from tests.needs.support import png_bytes

    need = await make_need(world, "funded")
    officer = client_as("county_officer")
    started = await officer.post(
        f"/needs/{need.id}/transition", data={"csrf_token": CSRF, "action": "start"}
    )
    assert started.status_code == 303
    from fupin.needs.models import Attachment

    await Attachment.filter(need_id=need.id).delete()
    refused = await officer.post(
        f"/needs/{need.id}/transition",
        data={"csrf_token": CSRF, "action": "deliver", "reason": "已完工"},
    )
    assert refused.status_code == 409 and "交付证明" in refused.text
    upload = await officer.post(
        f"/needs/{need.id}/attachments",
        data={"csrf_token": CSRF, "purpose": "evidence"},
        files={"file": ("验收.png", png_bytes(), "image/png")},
    )
    assert upload.status_code == 303
    delivered = await officer.post(
        f"/needs/{need.id}/transition",
        data={"csrf_token": CSRF, "action": "deliver", "reason": "蓄水池已建成，联合验收合格"},
    )
    assert delivered.status_code == 303
    worker_page = await client_as("village_worker").get(f"/needs/{need.id}")
    assert "确认收到" in worker_page.text and "交付证明与签收" in worker_page.text
    confirmed = await client_as("village_worker").post(
        f"/needs/{need.id}/transition", data={"csrf_token": CSRF, "action": "confirm_receipt"}
    )
    assert confirmed.status_code == 303 and (await Need.get(id=need.id)).state == "closed"
    public = await client_as(None).get(f"/needs/{need.id}")
    assert "蓄水池已建成，联合验收合格" in public.text and "已结项" in public.text
