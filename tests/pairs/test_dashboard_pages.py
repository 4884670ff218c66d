"""Dashboard pages and forms: who may open what (a province office never sees another
province), charts beside their tables, CSV/XLSX exports equal to the tables, the
self-assessment report for the pair's own helper, and forms that refuse bad input."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from fupin.accounts.models import Pair, Participant
from fupin.accounts.service.users import actor_for
from fupin.core.models import AuditLog
from fupin.pairs.models import PairFigure, PairYear
from fupin.pairs.service import dashboards
from tests.pairs.data import build
from tests.support.contract import CONTRACT_HOOKS
from tests.support.world import CSRF, make_user

ROLES = [
    None,
    "national_admin",
    "auditor",
    "province_office",
    "other_province_office",
    "county_officer",
    "other_county_officer",
    "village_worker",
    "participant_member",
]

MATRIX = {
    "/dashboards/national": {"national_admin", "auditor"},
    "/dashboards/province/530000": {"national_admin", "auditor", "province_office"},
    "/dashboards/county/532627": {"national_admin", "auditor", "province_office", "county_officer"},
}


@pytest.mark.parametrize("role", ROLES)
async def test_dashboards_open_only_inside_the_users_scope(client_as, role) -> None:
    client = client_as(role)
    for path, allowed in MATRIX.items():
        response = await client.get(path)
        if role is None:
            assert response.status_code == 303 and response.headers["location"].startswith("/login")
        elif role in allowed:
            assert response.status_code == 200, (path, response.text[:300])
        else:
            assert response.status_code == 403, (path, role, response.status_code)
            assert "没有权限" in response.text


async def test_province_office_reading_another_province_gets_403_everywhere(client_as) -> None:
    client = client_as("other_province_office")  # 四川 office
    for path in (
        "/dashboards/province/530000",
        "/dashboards/county/532627",
        "/dashboards/province/530000?export=regions&format=csv",
        "/api/v1/dashboards/provinces/530000",
        "/api/v1/dashboards/counties/532627",
        "/api/v1/dashboards/alerts?region=530000",
    ):
        response = await client.get(path)
        assert response.status_code == 403, path
    assert (await client.get("/dashboards/province/510000")).status_code == 200
    api = await client.get("/api/v1/dashboards/provinces/530000")
    assert api.json()["error"]["code"] == "forbidden"


async def test_each_office_lands_on_its_own_dashboard(client_as) -> None:
    expected = {
        "national_admin": "/dashboards/national",
        "province_office": "/dashboards/province/530000",
        "county_officer": "/dashboards/county/532627",
        "participant_member": "/dashboards/pairs",
    }
    for role, location in expected.items():
        response = await client_as(role).get("/dashboards")
        assert response.status_code == 303 and response.headers["location"] == location
    assert (await client_as("village_worker").get("/dashboards")).status_code == 403


@pytest.mark.both_databases
async def test_every_chart_has_its_table_and_the_drill_down_links(world, client_as) -> None:
    await build(world)
    page = (await client_as("national_admin").get("/dashboards/national?year=2025")).text
    charts = page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"')
    assert charts == page.count('<figure class="chart-box">') == 4
    for block in page.split('<section class="dash-block"')[1:]:
        if "<svg" in block:
            assert '<table class="data"' in block  # the numbers beside the chart
    assert 'href="/dashboards/province/530000?year=2025"' in page
    province = (await client_as("national_admin").get("/dashboards/province/530000?year=2025")).text
    assert 'href="/dashboards/county/532627?year=2025"' in province
    county = (await client_as("national_admin").get("/dashboards/county/532627?year=all")).text
    assert re.search(r'href="/needs/\d+"', county)


@pytest.mark.both_databases
async def test_csv_and_xlsx_exports_carry_exactly_the_table(world, client_as, db) -> None:
    await build(world)
    client = client_as("province_office")
    actor = await actor_for(world.users["province_office"])
    d = await dashboards.region_dashboard(actor=actor, level="province", code="530000", year=2025)
    for name, table in d.tables.items():
        response = await client.get(
            f"/dashboards/province/530000?year=2025&export={name}&format=csv"
        )
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/csv"
        )
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0] == [c.label for c in table.columns]
        assert len(rows) - 1 == len(table.rows), name
        xlsx = await client.get(f"/dashboards/province/530000?year=2025&export={name}&format=xlsx")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet.max_row - 1 == len(table.rows), name
    regions = d.tables["regions"]
    response = await client.get("/dashboards/province/530000?year=2025&export=regions&format=csv")
    body = list(csv.DictReader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    for row, want in zip(body, regions.rows, strict=True):
        assert row["代码"] == want["code"]
        assert row["到账"] == f"{want['received_fen'] // 100}.{want['received_fen'] % 100:02d}"
    bad = await client.get("/dashboards/province/530000?export=nope")
    assert bad.status_code == 422
    bad = await client.get("/dashboards/province/530000?export=regions&format=pdf")
    assert bad.status_code == 422


async def _helper_member(pair: Pair) -> str:
    await make_user("participant_member", "shanghai_member", participant=pair.helper_id)
    return "shanghai_member"


@pytest.mark.both_databases
async def test_the_pairs_helper_generates_its_own_self_assessment_report_only(
    world, client_as, app
) -> None:
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    username = await _helper_member(pair)
    import httpx

    from fupin.accounts.models import User
    from tests.conftest import TEST_SECRET
    from tests.support.world import login_cookie

    user = await User.get(username=username)
    helper_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies={"fupin_session": await login_cookie(TEST_SECRET, user)},
        event_hooks=CONTRACT_HOOKS,
    )
    try:
        report = await helper_client.get(f"/dashboards/pairs/{pair.id}/report?year=2025")
        assert report.status_code == 200
        assert "2025 年度帮扶工作自评报告" in report.text and "data-print" in report.text
        listing = await helper_client.get("/dashboards/pairs?year=2025")
        assert (
            listing.status_code == 200 and f"/dashboards/pairs/{pair.id}?year=2025" in listing.text
        )
        other = await Pair.get(kind="east_west", helped_region_id="510000", start_year=2021)
        assert (
            await helper_client.get(f"/dashboards/pairs/{other.id}/report?year=2025")
        ).status_code == 403
        # a helper reads its figures but does not set its own targets
        assert (
            await helper_client.get(f"/dashboards/pairs/{pair.id}/figures?year=2025")
        ).status_code == 403
    finally:
        await helper_client.aclose()
    assert (
        await client_as("participant_member").get(f"/dashboards/pairs/{pair.id}/report?year=2025")
    ).status_code == 403
    assert (
        await client_as("province_office").get(f"/dashboards/pairs/{pair.id}/report?year=2025")
    ).status_code == 200
    assert (
        await client_as("other_province_office").get(f"/dashboards/pairs/{pair.id}?year=2025")
    ).status_code == 403


@pytest.mark.both_databases
async def test_figures_form_saves_money_in_wan_yuan_and_refuses_negatives(world, client_as) -> None:
    pair = await Pair.get(kind="east_west", helped_region_id="530000", start_year=2021)
    client = client_as("province_office")
    form = await client.get(f"/dashboards/pairs/{pair.id}/figures?year=2025")
    assert form.status_code == 200 and 'name="target.fiscal_aid"' in form.text
    before = (await PairFigure.all().count(), await AuditLog.filter(action="pair.figures").count())
    bad = await client.post(
        f"/dashboards/pairs/{pair.id}/figures",
        data={
            "csrf_token": CSRF,
            "year": "2025",
            "target.fiscal_aid": "-3",
            "target.labour_placed": "1.5",
        },
    )
    assert bad.status_code == 422
    assert "不能为负数" in bad.text and 'aria-invalid="true"' in bad.text
    assert 'value="-3"' in bad.text  # what was typed comes back for correction
    assert (
        await PairFigure.all().count(),
        await AuditLog.filter(action="pair.figures").count(),
    ) == before
    outside = await client.post(
        f"/dashboards/pairs/{pair.id}/figures",
        data={"csrf_token": CSRF, "year": "2019", "target.fiscal_aid": "1"},
    )
    assert outside.status_code == 422 and "不在该结对的执行期" in outside.text
    ok = await client.post(
        f"/dashboards/pairs/{pair.id}/figures",
        data={
            "csrf_token": CSRF,
            "year": "2025",
            "target.fiscal_aid": "4,000.5",
            "reported.labour_placed": "1200",
            "grade": "good",
        },
    )
    assert ok.status_code == 303
    figures = {f.indicator: f for f in await PairFigure.filter(pair_year__pair_id=pair.id)}
    assert (
        figures["fiscal_aid"].target == 4_000_500_000 and figures["labour_placed"].reported == 1200
    )
    page = await client.get(f"/dashboards/pairs/{pair.id}?year=2025")
    assert "¥40,005,000.00" in page.text
    refill = await client.get(f"/dashboards/pairs/{pair.id}/figures?year=2025")
    assert 'value="4000.5"' in refill.text
    no_csrf = await client.post(f"/dashboards/pairs/{pair.id}/figures", data={"year": "2025"})
    assert no_csrf.status_code == 403
    assert (
        await client_as("other_province_office").post(
            f"/dashboards/pairs/{pair.id}/figures",
            data={"csrf_token": CSRF, "year": "2025", "target.fiscal_aid": "1"},
        )
    ).status_code == 403
    assert await PairYear.filter(pair_id=pair.id).count() == 1


@pytest.mark.both_databases
async def test_office_adds_ends_and_redraws_pairs_through_the_pages(world, client_as) -> None:
    client = client_as("national_admin")
    helper = await Participant.get(name="上海市", kind="east_partner")
    added = await client.post(
        "/dashboards/pairs/new",
        data={
            "csrf_token": CSRF,
            "kind": "east_west",
            "helper_id": str(helper.id),
            "helped_region_code": "532627",
            "start_year": "2022",
        },
    )
    assert added.status_code == 303
    pair = await Pair.get(helper_id=helper.id, helped_region_id="532627")
    again = await client.post(
        "/dashboards/pairs/new",
        data={
            "csrf_token": CSRF,
            "kind": "east_west",
            "helper_id": str(helper.id),
            "helped_region_code": "532627",
            "start_year": "2024",
        },
    )
    assert again.status_code == 422 and "年份重叠" in again.text
    overlap = await client.post(
        f"/dashboards/pairs/{pair.id}/redraw", data={"csrf_token": CSRF, "start_year": "2022"}
    )
    assert overlap.status_code == 422 and "须晚于" in overlap.text
    redrawn = await client.post(
        f"/dashboards/pairs/{pair.id}/redraw",
        data={"csrf_token": CSRF, "start_year": "2024", "reason": "调整"},
    )
    assert redrawn.status_code == 303
    new = await Pair.get(replaces_id=pair.id)
    ended = await client.post(
        f"/dashboards/pairs/{new.id}/end", data={"csrf_token": CSRF, "end_year": "2025"}
    )
    assert ended.status_code == 303
    page = await client.get(f"/dashboards/pairs/{new.id}?year=2025")
    assert page.status_code == 200 and f"#{pair.id}" in page.text and "结对历史" in page.text
    assert (await Pair.get(id=pair.id)).end_year == 2023 and (
        await Pair.get(id=new.id)
    ).end_year == 2025
    denied = await client_as("other_province_office").post(
        f"/dashboards/pairs/{new.id}/end", data={"csrf_token": CSRF, "end_year": "2025"}
    )
    assert denied.status_code == 403


@pytest.mark.both_databases
async def test_names_in_charts_and_tables_are_escaped(world, client_as) -> None:
    evil = await Participant.create(kind="east_partner", name='<script>alert("x")</script>东部')
    actor = await actor_for(world.users["national_admin"])
    from fupin.pairs.service import management as pair_management

    pair = await pair_management.add_pair(
        actor=actor,
        kind="east_west",
        helper_id=evil.id,
        helped_region_code="532627",
        start_year=2022,
    )
    for path in (
        "/dashboards/national",
        f"/dashboards/pairs/{pair.id}",
        f"/dashboards/pairs/{pair.id}/report",
        "/dashboards/pairs",
    ):
        text = (await client_as("national_admin").get(path)).text
        assert '<script>alert("x")</script>' not in text, path
        assert "&lt;script&gt;" in text, path


async def test_pair_forms_render_blank_and_with_the_refusal(world, client_as) -> None:
    """Every pair form, blank (GET) and re-shown with its error (the templates are strict:
    every variable they use is passed)."""
    client = client_as("national_admin")
    pair = await Pair.create(
        kind="east_west",
        helper_id=world.participants["east_partner"].id,
        helped_region_id="532627",
        start_year=2021,
    )
    new = await client.get("/dashboards/pairs/new")
    assert new.status_code == 200 and 'name="helper_id" value=""' in new.text
    end = await client.get(f"/dashboards/pairs/{pair.id}/end")
    assert end.status_code == 200 and f'action="/dashboards/pairs/{pair.id}/end"' in end.text
    redraw = await client.get(f"/dashboards/pairs/{pair.id}/redraw")
    assert redraw.status_code == 200 and f'placeholder="{pair.helper_id}"' in redraw.text
    early = await client.post(
        f"/dashboards/pairs/{pair.id}/end",
        data={"csrf_token": CSRF, "end_year": "2019", "reason": "调整"},
    )
    assert early.status_code == 422
    assert "结束年份不能早于开始年份" in early.text and ">调整</textarea>" in early.text
    assert (await Pair.get(id=pair.id)).end_year is None
