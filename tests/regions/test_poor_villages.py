"""The poor-village flag (建档立卡贫困村) and its years are kept by the county (issue 15 point 3):
set on the county's village page, or by a CSV/XLSX upload whose dry run reports each row's
problems (row and column) and whose commit writes all rows or none; each change is a
RegionChange and an audit row."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from fupin.core.models import AuditLog
from fupin.regions.models import Region, RegionChange
from tests.support.world import CSRF

BEINING = "532627101001"  # 北宁社区, 广南县
LIANHU = "532627101002"  # 莲湖社区
NANXIU = "532627101003"  # 南秀社区
HUOPU = "513431105201"  # 火普村, 昭觉县


def form(**fields: str) -> dict[str, str]:
    return {"csrf_token": CSRF, **fields}


@pytest.mark.both_databases
async def test_a_county_sets_the_flag_and_its_years_on_its_village_page(client_as, world) -> None:
    officer = client_as("county_officer")
    done = await officer.post(
        "/regions/532627/villages/poor",
        data=form(poor_village=BEINING, is_poor="yes", identified_year="2014", exited_year="2019"),
    )
    assert done.status_code == 303, done.text[:300]
    village = await Region.get(code=BEINING)
    assert (village.is_poor_village, village.poor_identified_year, village.poor_exited_year) == (
        True,
        2014,
        2019,
    )
    change = await RegionChange.get(region_id=BEINING)
    assert change.action == "poor_flag" and change.after["poor_exited_year"] == 2019
    assert await AuditLog.filter(action="region.poor_flag", object_id=BEINING).exists()
    listing = await officer.get("/regions/532627/villages", params={"poor": "yes"})
    assert "北宁社区" in listing.text and "莲湖社区" not in listing.text


@pytest.mark.both_databases
async def test_bad_flags_are_refused_naming_the_field(client_as, world) -> None:
    officer = client_as("county_officer")
    cases = [
        ({"poor_village": BEINING, "is_poor": "maybe"}, "is_poor"),
        ({"poor_village": BEINING, "is_poor": "yes", "identified_year": "1999"}, "identified_year"),
        (
            {
                "poor_village": BEINING,
                "is_poor": "yes",
                "identified_year": "2016",
                "exited_year": "2015",
            },
            "exited_year",
        ),
        ({"poor_village": BEINING, "is_poor": "no", "identified_year": "2016"}, "identified_year"),
        ({"poor_village": "5326", "is_poor": "yes"}, "poor_village"),
    ]
    for fields, field in cases:
        response = await officer.post("/regions/532627/villages/poor", data=form(**fields))
        assert response.status_code == 422, fields
        assert f'id="error-{field}"' in response.text, fields
    refused = await officer.post(
        "/regions/532627/villages/poor", data=form(poor_village=HUOPU, is_poor="yes")
    )
    assert refused.status_code == 403
    assert not await RegionChange.exists()


def csv_file(rows: list[list[str]]) -> bytes:
    lines = ["村代码,建档立卡贫困村,识别年份,退出年份", *(",".join(r) for r in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_file(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "is_poor", "identified_year", "exited_year"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.both_databases
async def test_the_upload_dry_run_reports_rows_and_commit_writes_all(client_as, world) -> None:
    officer = client_as("county_officer")
    good = [[BEINING, "是", "2014", "2018"], [LIANHU, "是", "2015", ""], [NANXIU, "否", "", ""]]
    dry = await officer.post(
        "/regions/532627/villages/poor-import",
        data=form(then="dry_run"),
        files={"file": ("贫困村.csv", csv_file(good), "text/csv")},
    )
    assert dry.status_code == 200, dry.text[:300]
    assert "3" in dry.text and "预检通过" in dry.text
    assert not await Region.filter(code=BEINING, is_poor_village=True).exists()  # nothing yet
    committed = await officer.post(
        "/regions/532627/villages/poor-import",
        data=form(then="commit"),
        files={"file": ("贫困村.xlsx", xlsx_file(good), "application/octet-stream")},
    )
    assert committed.status_code == 303, committed.text[:300]
    flags = (
        await Region.filter(code__in=[BEINING, LIANHU, NANXIU])
        .order_by("code")
        .values_list("is_poor_village", "poor_identified_year", "poor_exited_year")
    )
    assert flags == [(True, 2014, 2018), (True, 2015, None), (False, None, None)]
    # an unchanged row writes no change
    assert await RegionChange.filter(action="poor_flag").count() == 2


@pytest.mark.both_databases
async def test_a_bad_upload_names_row_and_column_and_writes_nothing(client_as, world) -> None:
    officer = client_as("county_officer")
    bad = [
        [BEINING, "是", "2014", ""],
        [HUOPU, "是", "2014", ""],  # another county's village
        ["12345", "是", "", ""],  # malformed
        [LIANHU, "也许", "", ""],
        [BEINING, "否", "", ""],  # duplicate code
    ]
    for then in ("dry_run", "commit"):
        response = await officer.post(
            "/regions/532627/villages/poor-import",
            data=form(then=then),
            files={"file": ("贫困村.csv", csv_file(bad), "text/csv")},
        )
        assert response.status_code == 422, (then, response.status_code)
        text = response.text
        for row, column in ((3, "村代码"), (4, "村代码"), (5, "建档立卡贫困村"), (6, "村代码")):
            assert f"<td>{row}</td><td>{column}</td>" in text, (then, row, column)
        assert "与第 2 行重复" in text
    assert not await Region.filter(is_poor_village=True, code__in=[BEINING, LIANHU]).exists()
    assert not await RegionChange.exists()


@pytest.mark.both_databases
async def test_the_county_dashboard_counts_the_poor_villages_money_reached(world) -> None:
    """The dashboard's "贫困村" figure reads the flag the county keeps: after the county unflags
    some villages, it counts the flagged villages whose needs received money (checked against
    the raw donations)."""
    from collections import defaultdict

    from fupin.accounts.service.users import actor_for
    from fupin.core.policy import Actor
    from fupin.money.models import Donation
    from fupin.needs.models import Need
    from fupin.pairs.service import dashboards
    from fupin.regions import service as regions
    from tests.pairs.data import TODAY, build

    await build(world)
    officer = await actor_for(world.users["county_officer"])  # 广南县
    villages = await Region.filter(county_code="532627", level="village", is_poor_village=True)
    for village in villages[::2]:
        await regions.set_poor_flag(officer, village.code, is_poor="no", identified="", exited="")
    admin = Actor(user_id=1, username="national_admin", role="national_admin")
    d = await dashboards.region_dashboard(
        actor=admin, level="county", code="532627", year=None, today=TODAY
    )
    money: dict[str, int] = defaultdict(int)
    needs = {n.id: n for n in await Need.filter(county_code="532627")}
    for donation in await Donation.filter(state="confirmed", need_id__in=list(needs)):
        need = needs[donation.need_id]
        if need.region_id != need.county_code:
            money[need.region_id] += donation.amount_fen
    reached = {code for code, amount in money.items() if amount > 0}
    poor = set(
        await Region.filter(code__in=list(reached), is_poor_village=True).values_list(
            "code", flat=True
        )
    )
    assert 0 < len(poor) < len(reached)  # the unflagging made a difference
    assert d.poor_villages_reached == len(poor)
    assert d.villages_reached == len(reached)


async def test_the_upload_template_is_read_back_by_the_dry_run(client_as, world) -> None:
    officer = client_as("county_officer")
    template = await officer.get("/regions/532627/villages/poor-template.csv")
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    dry = await officer.post(
        "/regions/532627/villages/poor-import",
        data=form(then="dry_run"),
        files={"file": ("模板.csv", template.content, "text/csv")},
    )
    assert dry.status_code == 200 and "预检通过" in dry.text


@pytest.mark.both_databases
async def test_a_county_system_uploads_the_list_through_the_api(client_as, world) -> None:
    """The same upload for a county's own system: a dry run that writes nothing and reports the
    rows, then a commit; a wrong file answers every problem by row and column, writes nothing."""
    officer = client_as("county_officer")
    headers = {"X-CSRF-Token": CSRF}
    url = "/api/v1/regions/532627/poor-villages/import"
    good = [[BEINING, "是", "2014", "2018"], [LIANHU, "是", "2015", ""]]
    dry = await officer.post(
        url, headers=headers, files={"file": ("poor.csv", csv_file(good), "text/csv")}
    )
    assert dry.status_code == 200, dry.text[:300]
    assert dry.json() == {"filename": "poor.csv", "rows": 2, "errors": [], "committed": False}
    assert not await Region.filter(code=BEINING, is_poor_village=True).exists()
    done = await officer.post(
        url,
        headers=headers,
        data={"commit": "true"},
        files={"file": ("poor.xlsx", xlsx_file(good), "application/octet-stream")},
    )
    assert done.status_code == 200 and done.json()["committed"] is True, done.text[:300]
    assert await Region.filter(code__in=[BEINING, LIANHU], is_poor_village=True).count() == 2

    bad = [[NANXIU, "是", "", ""], [HUOPU, "是", "2014", ""]]
    refused = await officer.post(
        url,
        headers=headers,
        data={"commit": "true"},
        files={"file": ("poor.csv", csv_file(bad), "text/csv")},
    )
    body = refused.json()
    assert refused.status_code == 200 and body["committed"] is False
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "村代码")]
    assert not await Region.filter(code=NANXIU, is_poor_village=True).exists()
    other = await client_as("county_officer").post(
        "/api/v1/regions/513431/poor-villages/import",
        headers=headers,
        files={"file": ("poor.csv", csv_file([[HUOPU, "是", "2014", ""]]), "text/csv")},
    )
    assert other.status_code == 403
    assert not await Region.filter(code=HUOPU, is_poor_village=True).exists()
