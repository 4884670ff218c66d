"""One contract for a need's content, whichever door it comes through: the JSON API
(``NeedCreate``/``NeedPatch``, money in fen), the drafting form and a spreadsheet row
(``NeedForm``, money in yuan text). Bad input to each HTML form and JSON endpoint is refused
with the field named; the responses keep their shapes (public, private, just drafted)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from fupin.core.clock import today_cn
from fupin.core.schemas import validate_form
from fupin.errors import InvalidInput
from fupin.needs.models import Attachment, Need, NeedEvent
from fupin.needs.rules import ATTACHMENT_PURPOSES
from fupin.needs.schemas.drafts import NeedCreate, NeedForm
from fupin.needs.service import drafting
from tests.needs.support import actors, future, make_need, png_bytes, valid_input
from tests.support.contract import document
from tests.support.world import CSRF

H = {"X-CSRF-Token": CSRF}


def _form(region_code: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": CSRF,
        "region_code": region_code,
        "category": "roads",
        "title": "石门村通组道路硬化工程",
        "description": "石门村3个村民小组至今仍是泥土路，雨季无法通行，学生上学、农产品运输困难。",
        "target_yuan": "120000",
        "beneficiary_households": "86",
        "beneficiary_people": "320",
        "deadline": future(60).isoformat(),
    }
    data.update(overrides)
    return data


def _problems(error: InvalidInput) -> dict[str, str]:
    return {e.field: e.message for e in error.errors}


def _today() -> str:
    return today_cn().isoformat()


def _when_run(values: dict[str, Any]) -> dict[str, Any]:
    """A case's dates are read when the test runs, not when the module is imported: a run may
    straddle midnight China time (tests/test_midnight.py)."""
    return {key: value() if callable(value) else value for key, value in values.items()}


# --- the same rule at every door ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("json_value", "form_value", "field", "message"),
    [
        ({"title": "短"}, {"title": "短"}, "title", "标题须为 4–60 个字。"),
        ({"category": "moon"}, {"category": "moon"}, "category", "请选择十项重点工作之一"),
        ({"beneficiary_people": 10}, {"beneficiary_people": "10"}, "beneficiary_people",
         "受益人数不能少于受益户数。"),
        ({"deadline": _today}, {"deadline": _today}, "deadline", "截止日期须晚于今天。"),
        ({"target_fen": 100}, {"target_yuan": "1"}, None, "目标金额须在 100–100,000,000 元之间。"),
    ],
)  # fmt: skip
def test_a_rule_says_the_same_through_the_api_schema_and_the_form_schema(
    json_value: dict[str, Any], form_value: dict[str, Any], field: str | None, message: str
) -> None:
    json_value, form_value = _when_run(json_value), _when_run(form_value)
    body = {**valid_input("532627101201"), "beneficiary_households": 50, **json_value}
    with pytest.raises(ValidationError) as api:
        NeedCreate.model_validate_json(json.dumps(body))
    with pytest.raises(InvalidInput) as form:
        validate_form(NeedForm, {**_form("532627101201"), **form_value})
    api_messages = [e["msg"] for e in api.value.errors()]
    assert any(message in m for m in api_messages), api_messages
    problems = _problems(form.value)
    where = field or next(iter(form_value))
    assert message in problems[where], problems


def test_the_form_takes_yuan_text_and_spreadsheet_cells() -> None:
    day = future(100)
    draft = validate_form(
        NeedForm,
        {
            **_form("532627101201", target_yuan="1,200,000.50", deadline=f"{day:%Y/%m/%d}"),
            "beneficiary_households": "1,086",
            "beneficiary_people": 2000,
            "items": [{"name": "水泥", "quantity": "3", "unit": "吨", "unit_value_yuan": 460}],
        },
        context={"today": today_cn()},
    )
    assert draft.target_fen == 120_000_050 and draft.beneficiary_households == 1086
    assert draft.items[0].unit_value_fen == 46_000 and draft.deadline == day
    patch = draft.patch()
    assert patch.target_fen == 120_000_050 and "external_ref" not in patch.model_fields_set


def test_the_api_schema_is_strict_json() -> None:
    base = valid_input("532627101201")
    for wrong in ({"target_fen": "100"}, {"beneficiary_people": True}, {"deadline": 20990101}):
        with pytest.raises(ValidationError) as refused:
            NeedCreate.model_validate_json(json.dumps({**base, **wrong}))
        assert [e["loc"][0] for e in refused.value.errors()] == list(wrong)


async def test_the_service_checks_a_mapping_with_the_same_schemas(world) -> None:
    a = await actors(world)
    with pytest.raises(InvalidInput) as refused:
        await drafting.draft_need(
            a["village_worker"], {**valid_input(world.village.code), "target_fen": "lots"}
        )
    assert "target_fen" in _problems(refused.value)
    in_yuan = {k: v for k, v in valid_input(world.village.code).items() if k != "target_fen"}
    in_yuan.update(target_yuan="386000", items=[])  # a mapping in yuan is yuan throughout
    need = await drafting.draft_need(a["village_worker"], in_yuan)
    assert need.target_fen == 38_600_000
    with pytest.raises(InvalidInput) as unknown:
        await drafting.edit_need(a["village_worker"], need.id, {"colour": "red"})
    assert unknown.value.field == "colour"
    assert await NeedEvent.filter(need_id=need.id, action="edit").count() == 0


# --- HTML forms: bad input named, nothing written -------------------------------------------------


async def test_drafting_form_names_wrong_and_missing_fields_and_ignores_unknown_ones(
    world, client_as
) -> None:
    worker = client_as("village_worker")
    wrong = await worker.post(
        "/needs/new",
        data=_form(world.village.code, beneficiary_households="many", deadline="someday"),
    )
    assert wrong.status_code == 422
    assert "受益户数必须是整数" in wrong.text and "日期格式应为 YYYY-MM-DD" in wrong.text
    missing = await worker.post(
        "/needs/new", data={k: v for k, v in _form(world.village.code).items() if k != "title"}
    )
    assert missing.status_code == 422 and "标题须为 4–60 个字" in missing.text
    assert await Need.all().count() == 0
    unknown = await worker.post(
        "/needs/new", data={**_form(world.village.code), "state": "published", "is_demo": "on"}
    )
    assert unknown.status_code == 303
    need = await Need.get()
    assert need.state == "draft" and need.is_demo is False


async def test_edit_form_names_the_field_and_keeps_the_project_number(world, client_as) -> None:
    need = await make_need(world, "draft", external_ref="GN-9")
    worker = client_as("village_worker")
    refused = await worker.post(
        f"/needs/{need.id}/edit", data=_form(world.village.code, target_yuan="十万")
    )
    assert refused.status_code == 422 and "不是数字金额" in refused.text
    saved = await worker.post(
        f"/needs/{need.id}/edit", data=_form(world.village.code, title="石门村道路硬化（修订）")
    )
    assert saved.status_code == 303
    edited = await Need.get(id=need.id)
    assert edited.title == "石门村道路硬化（修订）" and edited.external_ref == "GN-9"
    assert edited.target_fen == 12_000_000


async def test_transition_form_names_a_missing_or_unknown_action(world, client_as) -> None:
    need = await make_need(world, "submitted")
    officer = client_as("county_officer")
    for action, message in ((None, "缺少必填字段"), ("explode", "不是可选的取值：explode")):
        data = {"csrf_token": CSRF} | ({"action": action} if action else {})
        refused = await officer.post(f"/needs/{need.id}/transition", data=data)
        assert refused.status_code == 422 and message in refused.text
    wrong = await officer.post(
        f"/needs/{need.id}/transition",
        data={"csrf_token": CSRF, "action": "publish", "acknowledge_duplicates": "maybe"},
    )
    assert wrong.status_code == 422 and "true 或 false" in wrong.text
    assert (await Need.get(id=need.id)).state == "submitted"


async def test_attachment_form_names_a_bad_purpose(world, client_as) -> None:
    need = await make_need(world, "draft")
    response = await client_as("village_worker").post(
        f"/needs/{need.id}/attachments",
        data={"csrf_token": CSRF, "purpose": "selfie"},
        files={"file": ("a.png", png_bytes(), "image/png")},
    )
    assert response.status_code == 422 and "不是可选的取值：selfie" in response.text
    assert await Attachment.filter(need_id=need.id).count() == 0


async def test_the_lists_name_a_bad_filter(world, client_as) -> None:
    client = client_as(None)
    for query in ("page=x", "province=53", "sort=random", "category=moon"):
        assert (await client.get(f"/needs?{query}")).status_code == 422, query
    assert (await client_as("county_officer").get("/workspace?per_page=500")).status_code == 422
    assert (await client.get("/needs/export.csv?state=draft")).status_code == 422


# --- JSON: bad input named, shapes kept -----------------------------------------------------------


async def test_api_patch_refuses_null_and_unknown_fields_and_checks_the_result_whole(
    world, client_as
) -> None:
    need = await make_need(world, "draft")
    worker = client_as("village_worker")
    for body, field in (
        ({"title": None}, "title"),
        ({"state": "published"}, "state"),
        ({"beneficiary_households": 500}, "beneficiary_people"),  # 500 households, 40 people
        ({"deadline": (today_cn() - timedelta(days=1)).isoformat()}, "deadline"),
    ):
        response = await worker.patch(f"/api/v1/needs/{need.id}", json=body, headers=H)
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == field, response.text
    assert await NeedEvent.filter(need_id=need.id, action="edit").count() == 0


async def test_api_answers_keep_their_shapes(world, client_as) -> None:
    worker = client_as("village_worker")
    created = await worker.post(
        "/api/v1/needs", json=valid_input(world.village.code, deadline=future(30).isoformat()),
        headers=H,
    )  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert "available_actions" not in body and body["attachments"] == []
    assert body["created_at"].endswith("+00:00") and body["region"]["level"] == "village"
    mine = await worker.get(f"/api/v1/needs/{body['id']}")
    assert mine.json()["available_actions"] == ["submit", "withdraw"]
    assert mine.json()["external_ref"] == "" and mine.json()["county_wide"] is False
    events = await worker.get(f"/api/v1/needs/{body['id']}/events")
    (event,) = events.json()["items"]
    assert event["from_state"] is None and event["actor"] == "村级信息员"
    assert event["actor_username"] == "village_worker"
    listed = await worker.get("/api/v1/needs", params={"scope": "mine"})
    assert "items" not in listed.json()["items"][0] and "source" in listed.json()["items"][0]
    transition = await worker.post(
        f"/api/v1/needs/{body['id']}/transitions", json={"action": "submit", "reason": 5},
        headers=H,
    )  # fmt: skip
    assert transition.status_code == 422 and transition.json()["error"]["field"] == "reason"


def test_the_upload_is_documented_as_a_multipart_form() -> None:
    operation = document()["paths"]["/needs/{need_id}/attachments"]["post"]
    body = operation["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    name = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema = document()["components"]["schemas"][name]
    assert schema["properties"]["file"] == {
        "description": "The file; its type is decided from its content",
        "format": "binary",
        "type": "string",
    }
    assert schema["properties"]["purpose"]["enum"] == list(ATTACHMENT_PURPOSES)
    assert schema["required"] == ["file"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(operation["responses"])
