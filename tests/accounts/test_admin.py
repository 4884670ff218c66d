"""Admin forms: creating participants and users, with field-named errors and nothing written."""

from __future__ import annotations

import pytest

from fupin.accounts.models import Participant, User
from fupin.core.models import AuditLog
from tests.support.world import CSRF, valid_uscc


@pytest.mark.both_databases
async def test_office_registers_an_enterprise_and_the_audit_log_records_it(client_as) -> None:
    code = valid_uscc("91530100MA6K2D9Y1")
    response = await client_as("national_admin").post(
        "/admin/participants",
        data={
            "csrf_token": CSRF,
            "kind": "enterprise",
            "name": "新企业",
            "uscc": code,
            "region_code": "530000",
        },
    )
    assert response.status_code == 303
    created = await Participant.get(uscc=code)
    entry = await AuditLog.get(action="participant.create", object_id=str(created.id))
    assert entry.after["uscc"] == code and entry.actor_label == "national_admin"


@pytest.mark.parametrize(
    ("form", "field_text"),
    [
        (
            {"kind": "enterprise", "name": "坏代码公司", "uscc": "91110108551385082A"},
            "统一社会信用代码",
        ),
        ({"kind": "enterprise", "name": "无代码公司", "uscc": ""}, "统一社会信用代码"),
        ({"kind": "individual", "name": "李四", "id_number": "110105194912310021"}, "身份证"),
        (
            {
                "kind": "enterprise",
                "name": "错地区公司",
                "uscc": "91110108551385082Q",
                "region_code": "999999",
            },
            "地区代码",
        ),
        ({"kind": "alien", "name": "x"}, "类型"),
    ],
)
async def test_bad_participant_input_is_refused_and_nothing_written(
    client_as, form, field_text
) -> None:
    before = await Participant.all().count()
    response = await client_as("national_admin").post(
        "/admin/participants", data={"csrf_token": CSRF, **form}
    )
    assert response.status_code == 422
    assert field_text in response.text
    assert await Participant.all().count() == before
    assert "110105194912310021" not in response.text  # an ID number is never echoed back


async def test_duplicate_uscc_is_refused(client_as, world) -> None:
    existing = world.participants["enterprise"].uscc
    response = await client_as("national_admin").post(
        "/admin/participants",
        data={"csrf_token": CSRF, "kind": "enterprise", "name": "重复", "uscc": existing},
    )
    assert response.status_code == 422 and "已登记" in response.text


async def test_individual_id_number_is_stored_masked_and_hashed_only(client_as) -> None:
    response = await client_as("national_admin").post(
        "/admin/participants",
        data={
            "csrf_token": CSRF,
            "kind": "individual",
            "name": "王五",
            "id_number": "11010519491231002x",
        },
    )
    assert response.status_code == 303
    person = await Participant.get(name="王五")
    assert "11010519491231002X" not in (person.id_number_masked or "")
    assert person.id_number_hash and "1949" not in person.id_number_hash
    page = await client_as(None).get(f"/participants/{person.id}")
    assert "1949" not in page.text and "11010519491231002" not in page.text
    api = await client_as(None).get(f"/api/v1/participants/{person.id}")
    assert "id_number" not in api.text


async def test_county_officer_creates_a_village_worker_only_in_their_county(
    client_as, world
) -> None:
    client = client_as("county_officer")
    ok = await client.post(
        "/admin/users",
        data={
            "csrf_token": CSRF,
            "username": "worker2",
            "role": "village_worker",
            "region_code": world.village.code,
        },
    )
    assert ok.status_code == 200 and "/set-password/" in ok.text  # the activation link, once
    outside = await client.post(
        "/admin/users",
        data={
            "csrf_token": CSRF,
            "username": "worker3",
            "role": "village_worker",
            "region_code": world.other_village.code,
        },
    )
    assert outside.status_code == 403


async def test_bad_user_input_shows_the_form_again_and_writes_nothing(client_as, world) -> None:
    client = client_as("county_officer")
    form = {
        "csrf_token": CSRF,
        "username": "worker4",
        "display_name": "四号信息员",
        "role": "village_worker",
        "region_code": world.village.code,
    }
    not_a_number = await client.post("/admin/users", data={**form, "participant_id": "第一"})
    assert not_a_number.status_code == 422 and "参与方编号必须是整数" in not_a_number.text
    assert 'value="四号信息员"' in not_a_number.text and 'value="第一"' in not_a_number.text
    bad_name = await client.post("/admin/users", data={**form, "region_code": "999999"})
    assert bad_name.status_code == 422 and "地区代码不存在" in bad_name.text
    assert 'value="worker4"' in bad_name.text
    assert not await User.filter(username="worker4").exists()
