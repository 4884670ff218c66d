"""Bulk import: row-level error reports for CSV and XLSX, all-or-nothing commit, the template,
the web upload flow and the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import threading
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from fupin.accounts.service.reference import load_all
from fupin.cli import main
from fupin.core.clock import today_cn
from fupin.db import database, run_migrations
from fupin.errors import InvalidInput, PermissionDenied
from fupin.needs.models import Need, NeedEvent
from fupin.needs.service import drafting
from fupin.needs.service import importer as need_import
from fupin.settings import Settings
from tests.needs.support import actors
from tests.support.world import CSRF

HEADERS = [
    "村（或县）代码",
    "类别",
    "标题",
    "需求说明",
    "目标金额（元）",
    "受益户数",
    "受益人数",
    "截止日期",
    "物资",
    "项目编号",
]
DESCRIPTION = "村里现有道路为泥土路，雨季无法通行，群众出行和农产品运输困难，拟硬化道路。"


def _rows(village: str, other_village: str) -> list[list[object]]:
    deadline = (today_cn() + timedelta(days=90)).isoformat()
    return [
        [
            village,
            "村级道路畅通",
            "石门村通组道路硬化工程",
            DESCRIPTION,
            "860000",
            "86",
            "320",
            deadline,
            "水泥:300:吨:460",
            "GN-001",
        ],
        [
            village,
            "moon_base",
            "石门村项目",
            DESCRIPTION,
            "1000",
            "1",
            "2",
            deadline,
            "",
            "GN-002",
        ],  # row 3: category
        [
            village,
            "roads",
            "",
            DESCRIPTION,
            "-5",
            "1",
            "2",
            "2020-01-01",
            "",
            "GN-003",
        ],  # row 4: title, amount, date
        [
            "999999999999",
            "roads",
            "不存在的村的项目",
            DESCRIPTION,
            "1000",
            "1",
            "2",
            deadline,
            "",
            "GN-004",
        ],  # row 5
        [
            other_village,
            "roads",
            "外县村的道路项目",
            DESCRIPTION,
            "1000",
            "1",
            "2",
            deadline,
            "",
            "GN-005",
        ],  # row 6
        [
            village,
            "health",
            "石门村卫生室建设",
            DESCRIPTION,
            "",
            "10",
            "40",
            deadline,
            "药柜 2 个",
            "GN-006",
        ],  # row 7: items
        [
            village,
            "education",
            "石门村小学食堂",
            DESCRIPTION,
            "50000",
            "10",
            "40",
            deadline,
            "",
            "GN-001",
        ],  # row 8: dup ref
    ]


EXPECTED = [
    (3, "类别"),
    (4, "截止日期"),
    (4, "标题"),
    (4, "目标金额（元）"),
    (5, "村（或县）代码"),
    (6, "村（或县）代码"),
    (7, "物资"),
    (7, "目标金额（元）"),
    (8, "项目编号"),
]


def _csv(
    rows: list[list[object]], *, encoding: str = "utf-8-sig", headers: list[str] = HEADERS
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([h + "*" if i in (0, 1, 2, 3, 7) else h for i, h in enumerate(HEADERS)])
    for row in rows:
        typed = list(row)
        if isinstance(typed[7], str) and typed[7][:4].isdigit():
            typed[7] = datetime.fromisoformat(typed[7])  # a real date cell
        for i in (4, 5, 6):
            if isinstance(typed[i], str) and typed[i].lstrip("-").isdigit():
                typed[i] = int(typed[i])  # numeric cells
        sheet.append(typed)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.both_databases
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_dry_run_reports_every_bad_row_by_row_and_column_and_writes_nothing(
    world, kind
) -> None:
    a = await actors(world)
    rows = _rows(world.village.code, world.other_village.code)
    data = _csv(rows) if kind == "csv" else _xlsx(rows)
    report = await need_import.dry_run(a["county_officer"], data, f"projects.{kind}")
    assert report.rows == 7 and report.error_rows == 6 and report.valid_rows == 1
    assert [(e.row, e.column) for e in report.errors] == sorted(EXPECTED)
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert "十项重点工作" in messages[(3, "类别")]
    assert "不存在" in messages[(5, "村（或县）代码")]
    assert "不在您管辖的县内" in messages[(6, "村（或县）代码")]
    assert "第 2 行" in messages[(8, "项目编号")]
    committed = await need_import.commit(a["county_officer"], data, f"projects.{kind}")
    assert not committed.committed and committed.created == []
    assert await Need.all().count() == 0 and await NeedEvent.all().count() == 0


@pytest.mark.both_databases
async def test_commit_creates_all_rows_as_submitted_and_a_second_import_is_refused(world) -> None:
    a = await actors(world)
    rows = [r for i, r in enumerate(_rows(world.village.code, world.other_village.code)) if i == 0]
    rows.append(
        [
            world.village.code,
            "饮水安全",
            "石门村人饮工程",
            DESCRIPTION,
            "",
            "30",
            "120",
            (today_cn() + timedelta(days=30)).isoformat(),
            "PE管:1000:米:18；水泥:2:吨:460",
            "",
        ]
    )
    data = _xlsx(rows)
    report = await need_import.commit(a["county_officer"], data, "projects.xlsx")
    assert report.committed and len(report.created) == 2
    created = await Need.filter(id__in=report.created).order_by("id")
    assert [n.state for n in created] == ["submitted", "submitted"]
    assert (
        created[0].external_ref == "GN-001"
        and created[0].target_fen == 86_000_000
        and created[0].source == "import"
    )
    assert created[1].target_fen == 1_000 * 1_800 + 2 * 46_000  # items only: their value
    events = (
        await NeedEvent.filter(need_id=created[0].id).order_by("id").values_list("action", "reason")
    )
    assert [e[0] for e in events] == ["draft", "submit"] and "projects.xlsx 第 2 行" in events[0][1]
    again = await need_import.dry_run(a["county_officer"], data, "projects.xlsx")
    assert [(e.row, e.column) for e in again.errors] == [(2, "项目编号")]


async def test_a_failure_mid_commit_leaves_nothing(world, monkeypatch) -> None:
    a = await actors(world)
    deadline = (today_cn() + timedelta(days=30)).isoformat()
    rows = [
        [
            world.village.code,
            "roads",
            f"石门村第{i}段道路硬化",
            DESCRIPTION,
            "1000",
            "1",
            "2",
            deadline,
            "",
            "",
        ]
        for i in range(5)
    ]
    real = drafting.insert_need
    calls = {"n": 0}

    async def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("disk full")
        return await real(*args, **kwargs)

    monkeypatch.setattr(drafting, "insert_need", failing)
    with pytest.raises(RuntimeError):
        await need_import.commit(a["county_officer"], _csv(rows), "x.csv")
    assert await Need.all().count() == 0 and await NeedEvent.all().count() == 0


async def test_gb18030_csv_and_english_headers_are_read(world) -> None:
    a = await actors(world)
    deadline = (today_cn() + timedelta(days=30)).isoformat()
    rows = [
        [
            world.village.code,
            "文化建设",
            "石门村文化广场建设",
            DESCRIPTION,
            "120000",
            "50",
            "200",
            deadline,
            "",
            "",
        ]
    ]
    gbk = _csv(rows, encoding="gb18030")
    assert (await need_import.dry_run(a["county_officer"], gbk, "x.csv")).ok
    keys = [c.key for c in need_import.COLUMNS if c.key != "village_name"]
    english = _csv([r[:5] + ["50", "200", deadline, "", ""] for r in rows], headers=keys)
    assert (await need_import.dry_run(a["county_officer"], english, "x.csv")).ok


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.txt", b"a,b", "只接受"),
        ("x.xlsx", b"not a zip", "不是 XLSX"),
        ("x.xlsx", b"PK\x03\x04broken", "无法读取"),
        ("x.csv", b"", "空的"),
        ("x.csv", "标题,颜色\n一,二\n".encode(), ""),
    ],
)
async def test_unusable_files_are_refused_with_a_message(world, name, data, message) -> None:
    a = await actors(world)
    try:
        report = await need_import.dry_run(a["county_officer"], data, name)
    except InvalidInput as exc:
        assert message in exc.message and exc.field == "file"
    else:  # a readable file with wrong headers: reported on row 1
        assert {e.row for e in report.errors} == {1} and any(
            e.column == "颜色" for e in report.errors
        )


async def test_only_county_officers_import(world) -> None:
    a = await actors(world)
    for key in ("village_worker", "participant_member", "province_office"):
        with pytest.raises(PermissionDenied):
            await need_import.dry_run(a[key], _csv([]), "x.csv")


def test_templates_carry_every_column_and_the_rules() -> None:
    text = need_import.template_csv().decode("utf-8")
    assert text.startswith("\ufeff村（或县）代码,村名,类别*,标题*")
    workbook = load_workbook(io.BytesIO(need_import.template_xlsx()))
    assert workbook.sheetnames == ["需求", "说明", "类别"]
    header = [c.value for c in workbook["需求"][1]]
    assert header[:2] == ["村（或县）代码", "村名"] and len(header) == len(need_import.COLUMNS)
    assert workbook["类别"].max_row == 12


async def test_web_upload_shows_the_report_then_commits(world, client_as) -> None:
    officer = client_as("county_officer")
    page = await officer.get("/needs/import")
    assert page.status_code == 200 and "template.xlsx" in page.text
    bad = _csv(_rows(world.village.code, world.other_village.code))
    response = await officer.post(
        "/needs/import",
        data={"csrf_token": CSRF},
        files={"file": ("县项目库.csv", bad, "text/csv")},
    )
    assert response.status_code == 422
    assert "不在您管辖的县内" in response.text and '<td class="num">6</td>' in response.text
    assert await Need.all().count() == 0
    good = _csv(_rows(world.village.code, world.other_village.code)[:1])
    checked = await officer.post(
        "/needs/import",
        data={"csrf_token": CSRF},
        files={"file": ("县项目库.csv", good, "text/csv")},
    )
    assert checked.status_code == 200 and "确认导入 1 条需求" in checked.text
    assert await Need.all().count() == 0  # the dry run wrote nothing
    token = checked.text.split('name="token" value="')[1].split('"')[0]
    done = await officer.post(
        "/needs/import", data={"csrf_token": CSRF, "token": token, "filename": "县项目库.csv"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/workspace?state=submitted"
    assert await Need.filter(state="submitted", source="import").count() == 1
    replay = await officer.post(
        "/needs/import", data={"csrf_token": CSRF, "token": token, "filename": "县项目库.csv"}
    )
    assert replay.status_code == 422 and await Need.all().count() == 1
    assert (await client_as("village_worker").get("/needs/import")).status_code == 403
    template = await officer.get("/needs/import/template.xlsx")
    assert template.status_code == 200 and template.content.startswith(b"PK")


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, subset_dir: Path) -> tuple[dict[str, str], str]:
    url = f"sqlite://{tmp_path / 'cli.sqlite3'}"

    async def prepare() -> str:
        settings = Settings(env="test", database_url=url)
        await run_migrations(settings)  # the CLI refuses an unmigrated database
        async with database(settings):
            await load_all(subset_dir)
            from tests.support.world import make_village

            return (await make_village("532627")).code

    village = asyncio.run(prepare())
    return {
        "FUPIN_DATABASE_URL": url,
        "FUPIN_VAR_DIR": str(tmp_path / "var"),
        "FUPIN_ENV": "test",
    }, village


def test_cli_import_dry_run_then_commit_export_and_expire(cli_env, tmp_path) -> None:
    runner = CliRunner()
    cli_env, village = cli_env
    rows = _rows(village, "513431")  # 昭觉县 itself: exists, but not in 532627
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(rows))
    result = runner.invoke(
        main, ["needs", "import", str(bad), "--county", "532627", "--dry-run"], env=cli_env
    )
    assert result.exit_code != 0
    assert (
        "row 3, column 类别" in result.output
        and "row 6, column 村（或县）代码: 不在指定的县（532627）内。" in result.output
    )
    good = tmp_path / "good.xlsx"
    good.write_bytes(_xlsx(rows[:1]))
    checked = runner.invoke(main, ["needs", "import", str(good), "--dry-run"], env=cli_env)
    assert checked.exit_code == 0 and "dry run: nothing written" in checked.output
    done = runner.invoke(main, ["needs", "import", str(good), "--county", "532627"], env=cli_env)
    assert done.exit_code == 0, done.output
    assert "imported 1 needs" in done.output
    out = tmp_path / "all.csv"
    exported = runner.invoke(main, ["needs", "export", "--all", "-o", str(out)], env=cli_env)
    assert exported.exit_code == 0 and "wrote 1 needs" in exported.output
    assert "石门村通组道路硬化工程" in out.read_text(encoding="utf-8-sig")
    public = runner.invoke(
        main, ["needs", "export", "--format", "xlsx", "-o", str(tmp_path / "p.xlsx")], env=cli_env
    )
    assert public.exit_code == 0 and "wrote 0 needs" in public.output  # submitted is not public
    expired = runner.invoke(main, ["needs", "expire"], env=cli_env)
    assert expired.exit_code == 0 and "expired 0 needs" in expired.output


async def test_a_kept_upload_is_checked_again_at_commit_and_the_report_shown(
    world, client_as
) -> None:
    """The commit checks the kept file again, for whoever commits it: outside their county,
    the page shows the report (422) and nothing is written."""
    good = _csv(_rows(world.village.code, world.other_village.code)[:1])
    checked = await client_as("county_officer").post(
        "/needs/import",
        data={"csrf_token": CSRF},
        files={"file": ("县项目库.csv", good, "text/csv")},
    )
    assert checked.status_code == 200
    token = checked.text.split('name="token" value="')[1].split('"')[0]
    elsewhere = await client_as("other_county_officer").post(
        "/needs/import", data={"csrf_token": CSRF, "token": token, "filename": "县项目库.csv"}
    )
    assert elsewhere.status_code == 422
    assert "检查结果：县项目库.csv" in elsewhere.text and "不在您管辖的县内" in elsewhere.text
    assert 'name="token"' not in elsewhere.text  # nothing to confirm
    assert await Need.all().count() == 0


# --- input that must never cost the service ----------------------------------------------------


def _far_row_xlsx(*, honest_dimension: bool) -> bytes:
    """A tiny workbook whose second row is numbered 1,000,000 (the issue's 1.6 KB file had
    5,000,000; openpyxl writes at most 2^20 rows). With
    ``honest_dimension`` False its <dimension> claims two rows, so only counting while reading
    can notice."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADERS)
    sheet.cell(row=1_000_000, column=1, value="532627100201")  # the writer stops at 2^20
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    if honest_dimension:
        return data
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:J2"', content)
            out.writestr(item, content)
    return target.getvalue()


@pytest.mark.parametrize("honest_dimension", [True, False])
async def test_a_far_numbered_row_is_refused_at_once_by_the_row_limit(
    world, honest_dimension
) -> None:
    a = await actors(world)
    data = _far_row_xlsx(honest_dimension=honest_dimension)
    assert len(data) < 8_000
    started = time.monotonic()
    with pytest.raises(InvalidInput) as refused:
        await need_import.dry_run(a["county_officer"], data, "far.xlsx")
    assert time.monotonic() - started < 2.0
    assert refused.value.field == "file" and refused.value.code == "too_many_rows"
    assert f"{need_import.MAX_ROWS:,}" in refused.value.message


async def test_the_row_limit_and_the_size_limit_are_settings(world) -> None:
    a = await actors(world)
    rows = [[f"532627100{i:03d}", "饮水安全", "标题标题", DESCRIPTION, "1", "", "", "", "", ""]
            for i in range(6)]  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        await need_import.dry_run(a["county_officer"], _csv(rows), "x.csv", max_rows=5)
    assert refused.value.code == "too_many_rows" and "5" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        await need_import.dry_run(a["county_officer"], _csv(rows), "x.csv", max_bytes=100)
    assert refused.value.code == "too_large"
    defaults = Settings.from_env({"FUPIN_IMPORT_MAX_ROWS": "300", "FUPIN_IMPORT_MAX_BYTES": "999"})
    assert (defaults.import_max_rows, defaults.import_max_bytes) == (300, 999)
    assert Settings().import_max_rows == need_import.MAX_ROWS == 2000


async def test_an_import_does_not_stop_other_requests(world, client_as, monkeypatch) -> None:
    """The file is read in a worker thread: while it is being read, /healthz answers."""
    reading = threading.Event()
    release = threading.Event()
    waited_out: list[bool] = []
    real = need_import.read_rows

    def slow_read_rows(*args: object, **kwargs: object) -> object:
        reading.set()
        # bounded: on the event loop nothing else runs, so nobody sets ``release`` in time
        waited_out.append(not release.wait(timeout=5))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(need_import, "read_rows", slow_read_rows)
    officer = client_as("county_officer")
    upload = asyncio.create_task(
        officer.post(
            "/needs/import",
            data={"csrf_token": CSRF},
            files={"file": ("x.csv", _csv([]), "text/csv")},
        )
    )
    for _ in range(200):  # bounded: 10 s
        if reading.is_set():
            break
        await asyncio.sleep(0.05)
    assert reading.is_set()
    started = time.monotonic()
    health = await officer.get("/healthz")
    answered_in = time.monotonic() - started
    release.set()
    response = await upload
    assert waited_out == [False]  # /healthz answered while the file was being read
    assert health.status_code == 200 and answered_in < 2.0
    assert response.status_code in (200, 422)


def _by_name_row(place: str, title: str) -> list[object]:
    deadline = (today_cn() + timedelta(days=60)).isoformat()
    return ["", place, "村级道路畅通", title, DESCRIPTION, "120000", "", "300", deadline, "", ""]


NAME_HEADERS = ["村（或县）代码", "村名", *HEADERS[1:]]


@pytest.mark.both_databases
async def test_an_officer_names_the_village_instead_of_typing_its_code(world) -> None:
    """The officer knows 石门村, not its twelve digits: the import finds it in the county; a name
    two townships share must say which township; an unknown name or a name that contradicts
    the code is a row error, and nothing is written while any row fails."""
    from fupin.regions.models import Region

    a = await actors(world)
    townships = await Region.filter(level="township", county_code="532627").order_by("code")
    other_township = townships[1]
    await Region.create(
        code=other_township.code + "977",
        name="双河村",
        level="village",
        kind="村",
        parent_id=other_township.code,
        province_code=other_township.province_code,
        prefecture_code=other_township.prefecture_code,
        county_code="532627",
        full_name=f"{other_township.full_name} 双河村",
        origin="generated",
        is_generated=True,
    )
    first_township = await Region.get(code=world.village.parent_id)
    await Region.create(
        code=first_township.code + "977",
        name="双河村",
        level="village",
        kind="村",
        parent_id=first_township.code,
        province_code=first_township.province_code,
        prefecture_code=first_township.prefecture_code,
        county_code="532627",
        full_name=f"{first_township.full_name} 双河村",
        origin="generated",
        is_generated=True,
    )
    bad = [
        _by_name_row(world.village.name, "石门村通组道路硬化工程"),
        _by_name_row("双河村", "双河村通组道路硬化工程"),
        _by_name_row("没有这个村", "某村通组道路硬化工程"),
    ]
    wrong_code = _by_name_row(world.village.name, "石门村产业路硬化工程")
    wrong_code[0] = world.other_village.code
    bad.append(wrong_code)
    report = await need_import.dry_run(
        a["county_officer"], _csv(bad, headers=NAME_HEADERS), "by-name.csv"
    )
    errors = {e.row: e.message for e in report.errors}
    assert set(errors) == {3, 4, 5}, report.errors
    assert all(e.column == "村名" for e in report.errors)
    assert "乡镇/村" in errors[3] and other_township.name in errors[3]
    assert "没有这个村" in errors[4]
    assert world.village.code in errors[5]
    assert await Need.all().count() == 0

    good = [
        _by_name_row(world.village.name, "石门村通组道路硬化工程"),
        _by_name_row(f"{other_township.name}/双河村", "双河村通组道路硬化工程"),
    ]
    report = await need_import.commit(
        a["county_officer"], _csv(good, headers=NAME_HEADERS), "by-name.csv"
    )
    assert report.committed, report.errors
    created = await Need.filter(id__in=report.created).order_by("id")
    assert [n.region_id for n in created] == [world.village.code, other_township.code + "977"]
