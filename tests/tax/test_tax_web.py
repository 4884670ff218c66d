"""Tax pages and API (docs/domain.md §3.8): the worked example on the paper page to the fen, the
statement page and its downloads, bad input, and who may see which donor's papers."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from fupin.core.templating import yuan
from tests.support.world import CSRF
from tests.tax.builders import EXAMPLE_PROFIT_WAN, EXAMPLE_TABLE, build_example_e

CSRF_HEADER = {"X-CSRF-Token": CSRF}
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
    assert "2019,10000000.00,1500000.00,3000000.00,0.00,1200000.00" in text
    lines = await client.post(f"/tax/{pid}/2026/paper", data={**data, "format": "csv_lines"})
    assert "GN532627-2019-" in lines.content.decode("utf-8-sig")
    xlsx = await client.post(f"/tax/{pid}/2026/paper", data={**data, "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert len(book.sheetnames) == 2
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    assert summary[1][0] == 2019 and summary[1][5] == 1200000  # yuan, a number cell


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
    assert "data-print" in page.text
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


def _fields(response) -> dict[str, str]:
    """Every field a 422 names, with its code."""
    assert response.status_code == 422, response.text[:500]
    error = response.json()["error"]
    return {e["field"]: e["code"] for e in error.get("errors") or [error]}


async def test_api_paper_names_the_field_of_every_bad_input(world, client_as) -> None:
    """Wrong types and unknown fields by the schema; the money grammar per year, named like the
    form's fields; one of the two ways of giving profits; an individual's income."""
    await build_example_e(world)
    pid = world.participants["enterprise"].id
    client = client_as("participant_member")
    url = f"/api/v1/tax/{pid}/papers/2026"
    post = lambda body: client.post(url, json=body, headers=CSRF_HEADER)  # noqa: E731
    assert _fields(await post({})) == {"profits": "required"}
    assert _fields(await post({"profits": {"2026": "1"}, "profit_fen_by_year": {"2026": 1}})) == {
        "profits": "required"
    }
    assert _fields(await post({"profits": {"20x6": "1"}})) == {"profits": "not_a_year"}
    assert _fields(await post({"profits": {"2026": "lots", "2025": "12.345"}})) == {
        "profit_2026": "not_numeric",
        "profit_2025": "too_many_decimals",
    }
    assert _fields(await post({"profits": {"2026": 5}})) == {"profits.2026": "wrong_type"}
    assert _fields(await post({"profits": {}})) == {"profits": "too_short"}
    assert _fields(await post({"profit_fen_by_year": {"2026": "5"}})) == {
        "profit_fen_by_year.2026": "wrong_type"
    }
    assert _fields(await post({"profit": {"2026": "1"}})) == {"profit": "unknown_field"}
    odd_year = await client.post(f"/api/v1/tax/{pid}/papers/20x6", json={}, headers=CSRF_HEADER)
    assert _fields(odd_year) == {"year": "wrong_type"}
    short = {"profits": {"2022": "100万"}}  # 2019's carry-forward still reaches 2022
    missing = await client.post(f"/api/v1/tax/{pid}/papers/2022", json=short, headers=CSRF_HEADER)
    assert _fields(missing)["profit_2019"] == "required"


async def test_api_helper_names_the_taxable_income(world, client_as) -> None:
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
    url = f"/api/v1/tax/{person.id}/papers/2025"
    assert _fields(await client.post(url, json={}, headers=CSRF_HEADER)) == {
        "taxable_income": "required"
    }
    negative = await client.post(url, json={"taxable_income": "-5"}, headers=CSRF_HEADER)
    assert _fields(negative) == {"taxable_income": "negative"}
    in_fen = await client.post(url, json={"taxable_income_fen": -1}, headers=CSRF_HEADER)
    assert _fields(in_fen) == {"taxable_income_fen": "out_of_range"}
    typed = await client.post(url, json={"taxable_income": 100000}, headers=CSRF_HEADER)
    assert _fields(typed) == {"taxable_income": "wrong_type"}
    helper = await client.post(url, json={"taxable_income_fen": 10_000_000}, headers=CSRF_HEADER)
    assert helper.status_code == 200
    assert (helper.json()["cap_fen"], helper.json()["deductible_fen"]) == (3_000_000, 3_000_000)


async def test_paper_forms_name_the_field_and_ignore_unknown_ones(world, client_as) -> None:
    """The paper form goes through the API's request: unknown fields (a stray button) are
    ignored, a year the form does not show is refused by name, an individual's empty income
    is named."""
    await build_example_e(world)
    pid = world.participants["enterprise"].id
    client = client_as("participant_member")
    data = {"csrf_token": CSRF, "format": "html", **PROFIT_FORM}
    extra = await client.post(f"/tax/{pid}/2026/paper", data={**data, "colour": "blue"})
    assert extra.status_code == 200 and 'data-cell="2026-cap"' in extra.text
    odd_format = await client.post(f"/tax/{pid}/2026/paper", data={**data, "format": "pdf"})
    assert odd_format.status_code == 200 and 'data-cell="2026-cap"' in odd_format.text
    stray = await client.post(f"/tax/{pid}/2026/paper", data={**data, "profit_2031": "1"})
    assert stray.status_code == 422 and "2031 年超出本工作底稿的数据范围" in stray.text
    two = await client.post(
        f"/tax/{pid}/2026/paper", data={**data, "profit_2025": "x", "profit_2024": "1.234"}
    )
    assert two.status_code == 422 and two.text.count('aria-invalid="true"') == 2


async def test_individual_paper_form_names_an_empty_income(world, client_as) -> None:
    from tests.support.world import make_user

    person = world.participants["individual"]
    world.users["person_member"] = await make_user(
        "participant_member", "person_member", participant=person.id
    )
    client = client_as("person_member")
    empty = await client.post(
        f"/tax/{person.id}/2025/paper", data={"csrf_token": CSRF, "taxable_income": " "}
    )
    assert empty.status_code == 422 and "请填写" in empty.text
    assert 'aria-invalid="true"' in empty.text
