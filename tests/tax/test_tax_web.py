"""Tax pages and API (BRIEF §3.8): the worked example on the paper page to the fen, the
statement page and its downloads, bad input, and who may see which donor's papers."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from fupin.core.templating import yuan
from tests.support.world import CSRF
from tests.tax.builders import EXAMPLE_PROFIT_WAN, EXAMPLE_TABLE, build_example_e

PROFIT_FORM = {f"profit_{year}": f"{wan}万" for year, wan in EXAMPLE_PROFIT_WAN.items()}


def cell(html: str, name: str) -> str:
    match = re.search(rf'data-cell="{re.escape(name)}"[^>]*>(.*?)</td>', html, re.S)
    assert match, f"no cell {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def by_origin_text(values: dict[int, int]) -> str:
    return " ".join(f"{origin}: {yuan(amount)}" for origin, amount in values.items()) or "—"


@pytest.mark.both_databases
async def test_paper_page_reproduces_every_figure_of_the_worked_example(world, client_as) -> None:
    await build_example_e(world)
    pid = world.participants["enterprise"].id
    client = client_as("participant_member")
    form = await client.get(f"/tax/{pid}/2026/paper")
    assert form.status_code == 200
    for year in range(2019, 2027):
        assert f'name="profit_{year}"' in form.text
    response = await client.post(
        f"/tax/{pid}/2026/paper", data={"csrf_token": CSRF, "format": "html", **PROFIT_FORM}
    )
    assert response.status_code == 200, response.text[:500]
    html = response.text
    for year, (cap, brought, current, carried, expired, total) in EXAMPLE_TABLE.items():
        assert cell(html, f"{year}-profit") == yuan(EXAMPLE_PROFIT_WAN[year] * 1_000_000)
        assert cell(html, f"{year}-cap") == yuan(cap), year
        assert cell(html, f"{year}-brought") == by_origin_text(brought), year
        assert cell(html, f"{year}-current") == yuan(current), year
        assert cell(html, f"{year}-carried") == yuan(carried), year
        assert cell(html, f"{year}-expired") == by_origin_text(expired), year
        assert cell(html, f"{year}-total") == yuan(total), year
    assert "GN532627-2019-" in html  # lines link to the receipts


async def test_paper_downloads_csv_and_xlsx(world, client_as) -> None:
    await build_example_e(world)
    pid = world.participants["enterprise"].id
    client = client_as("participant_member")
    data = {"csrf_token": CSRF, **PROFIT_FORM}
    csv_response = await client.post(f"/tax/{pid}/2026/paper", data={**data, "format": "csv"})
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    text = csv_response.content.decode("utf-8-sig")
    assert "2019,10000000.00,1500000.00,3000000.00,1200000.00" in text
    lines = await client.post(f"/tax/{pid}/2026/paper", data={**data, "format": "csv_lines"})
    assert "GN532627-2019-" in lines.content.decode("utf-8-sig")
    xlsx = await client.post(f"/tax/{pid}/2026/paper", data={**data, "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert len(book.sheetnames) == 2
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    assert summary[1][0] == 2019 and summary[1][4] == 1200000  # yuan, a number cell


async def test_statement_page_and_downloads(world, client_as) -> None:
    channels = await build_example_e(world)
    pid = world.participants["enterprise"].id
    client = client_as("participant_member")
    page = await client.get(f"/tax/{pid}/2019")
    assert page.status_code == 200
    assert cell(page.text, "targeted-cash") == yuan(300_000_000)
    assert cell(page.text, "general-cash") == yuan(150_000_000)
    assert re.search(r'data-cell="total">¥4,500,000.00<', page.text)
    t2019 = channels.by_label["T2019"]
    assert t2019.official_receipt_number in page.text
    assert "window.print()" in page.text
    csv_file = await client.get(f"/tax/{pid}/2019/statement.csv")
    assert csv_file.status_code == 200 and t2019.official_receipt_number in csv_file.text
    xlsx = await client.get(f"/tax/{pid}/2019/statement.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 4
    picker = await client.get("/tax")
    assert picker.status_code == 200 and "2019" in picker.text and "2026" in picker.text
    assert (await client.get(f"/tax/{pid}?year=2021")).headers["location"] == f"/tax/{pid}/2021"


@pytest.mark.parametrize(
    ("field", "value", "status", "fragment"),
    [
        ("profit_2026", "一千万", 422, "不是数字金额"),
        ("profit_2026", "12.345", 422, "最多精确到分"),
        ("profit_2026", "", 422, "请填写金额"),
        ("profit_2026", "-500万", 200, 'data-cell="2026-cap"'),  # a loss is allowed
    ],
)
async def test_paper_form_validates_profits(world, client_as, field, value, status, fragment):
    await build_example_e(world)
    pid = world.participants["enterprise"].id
    data = {"csrf_token": CSRF, "format": "html", **PROFIT_FORM, field: value}
    response = await client_as("participant_member").post(f"/tax/{pid}/2026/paper", data=data)
    assert response.status_code == status
    assert fragment in response.text
    if status == 422:
        assert 'aria-invalid="true"' in response.text


async def test_year_outside_the_data_is_a_clear_error(world, client_as) -> None:
    pid = world.participants["enterprise"].id
    client = client_as("participant_member")
    for path in (f"/tax/{pid}/2031", f"/tax/{pid}/1999/paper", f"/tax/{pid}/20x1"):
        response = await client.get(path)
        assert response.status_code == 422, path
        assert "超出数据范围" in response.text or "四位数" in response.text


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("participant_member", 200),
        ("auditor", 200),
        ("other_participant_member", 403),
        ("national_admin", 403),
        ("county_officer", 403),
        ("village_worker", 403),
    ],
)
async def test_only_the_donor_and_auditors_see_the_papers(world, client_as, role, expected):
    pid = world.participants["enterprise"].id
    client = client_as(role)
    for path in (f"/tax/{pid}/2025", f"/tax/{pid}/2025/statement.csv", f"/tax/{pid}/2025/paper"):
        assert (await client.get(path)).status_code == expected, path
    posted = await client.post(
        f"/tax/{pid}/2025/paper", data={"csrf_token": CSRF, "profit_2025": "100"}
    )
    assert posted.status_code == (200 if expected == 200 else 403)
    api = await client.get(f"/api/v1/tax/{pid}/statements/2025")
    assert api.status_code == expected


async def test_anonymous_visitors_are_sent_to_login(world, client_as) -> None:
    pid = world.participants["enterprise"].id
    response = await client_as(None).get(f"/tax/{pid}/2025")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert (await client_as(None).get(f"/api/v1/tax/{pid}/statements/2025")).status_code == 401


async def test_auditor_finds_a_donor_by_uscc(world, client_as) -> None:
    enterprise = world.participants["enterprise"]
    response = await client_as("auditor").get(f"/tax?participant={enterprise.uscc}")
    assert response.status_code == 200 and enterprise.name in response.text


@pytest.mark.both_databases
async def test_api_paper_matches_the_worked_example(world, client_as) -> None:
    await build_example_e(world)
    pid = world.participants["enterprise"].id
    client = client_as("participant_member")
    headers = {"X-CSRF-Token": CSRF}
    body = {"profits": {str(y): f"{w}万" for y, w in EXAMPLE_PROFIT_WAN.items()}}
    response = await client.post(f"/api/v1/tax/{pid}/papers/2026", json=body, headers=headers)
    assert response.status_code == 200, response.text
    years = {y["year"]: y for y in response.json()["years"]}
    for year, (cap, _brought, current, carried, _expired, total) in EXAMPLE_TABLE.items():
        assert (years[year]["cap_fen"], years[year]["current_general_deducted_fen"]) == (
            cap,
            current,
        )
        assert (years[year]["carried_forward_fen"], years[year]["deducted_fen"]) == (carried, total)
    fen_body = {
        "profit_fen_by_year": {str(y): w * 1_000_000 for y, w in EXAMPLE_PROFIT_WAN.items()}
    }
    same = await client.post(f"/api/v1/tax/{pid}/papers/2026", json=fen_body, headers=headers)
    assert same.json()["years"] == response.json()["years"]
    bad = await client.post(
        f"/api/v1/tax/{pid}/papers/2026",
        json={"profits": {"2026": "lots"}},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "profit_2026"
    other = client_as("other_participant_member")
    denied = await other.post(f"/api/v1/tax/{pid}/papers/2026", json=body, headers=headers)
    assert denied.status_code == 403
    years_response = await client.get(f"/api/v1/tax/{pid}/years")
    assert 2019 in years_response.json()["years"]


async def test_individual_sees_the_30_percent_helper(world, client_as) -> None:
    from datetime import date

    from tests.support.world import make_user
    from tests.tax.builders import give, make_channels

    person = world.participants["individual"]
    world.users["person_member"] = await make_user(
        "participant_member", "person_member", participant=person.id
    )
    channels = await make_channels(world)
    await give(channels, person, received_on=date(2025, 6, 1), amount_fen=5_000_000, targeted=True)
    client = client_as("person_member")
    form = await client.get(f"/tax/{person.id}/2025/paper")
    assert 'name="taxable_income"' in form.text and "30%" in form.text
    result = await client.post(
        f"/tax/{person.id}/2025/paper",
        data={"csrf_token": CSRF, "format": "html", "taxable_income": "100000"},
    )
    assert result.status_code == 200
    assert cell(result.text, "cap") == yuan(3_000_000)
    assert cell(result.text, "deductible") == yuan(3_000_000)
    assert cell(result.text, "excess") == yuan(2_000_000)
    negative = await client.post(
        f"/tax/{person.id}/2025/paper",
        data={"csrf_token": CSRF, "format": "html", "taxable_income": "-5"},
    )
    assert negative.status_code == 422 and "不能为负数" in negative.text
