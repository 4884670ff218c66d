"""Reading the region tree: browsing, lookups, breadcrumbs and permission scopes."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

from fupin.core import audit, sql
from fupin.core.clock import today_cn
from fupin.core.policy import EVERYWHERE, Actor, Scope, require
from fupin.core.tabular import ImportReport, RowError, read_rows
from fupin.db import generation, transaction
from fupin.errors import Conflict, InvalidInput, NotFound
from fupin.i18n import N_, _
from fupin.regions import rules
from fupin.regions.models import LEVELS, Region, RegionChange


async def get_region(code: str) -> Region:
    region = await Region.get_or_none(code=code)
    if region is None:
        raise NotFound(_("地区代码不存在：%(code)s", code=code), field="code")
    return region


async def ancestors(region: Region) -> list[Region]:
    """Province → … → parent, from the denormalised codes (no recursive walk)."""
    codes = [c for c in (region.province_code, region.prefecture_code, region.county_code) if c]
    if region.level == "village" and region.parent_id:
        codes.append(region.parent_id)
    codes = [c for c in dict.fromkeys(codes) if c != region.code]
    found = {r.code: r for r in await Region.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def scope_of(region: Region) -> Scope:
    county = region.county_code or (region.code if region.level == "county" else "")
    return Scope(region_code=region.code, county_code=county, province_code=region.province_code)


@dataclass
class RegionPage:
    items: list[Region]
    total: int
    page: int
    per_page: int


async def list_regions(
    *,
    level: str | None = None,
    parent: str | None = None,
    q: str | None = None,
    poverty_only: bool = False,
    province: str | None = None,
    page: int = 1,
    per_page: int = 50,
    scope: Scope = EVERYWHERE,
) -> RegionPage:
    if q and level in (None, "village") and not parent and not province and not poverty_only:
        # The picker: villages by name within the caller's scope; with no level, the places
        # above the village that match come first (44,565 rows, by the level index).
        found: list[Region] = []
        if level is None:
            if len(q) > 64:
                raise InvalidInput(_("查询过长。"), field="q")
            # ordered by level first, so the level index is walked and not the 665,138 codes
            found = sorted(
                await Region.filter(level__in=LEVELS[:-1], name__contains=q)
                .order_by("level", "code")
                .limit(per_page),
                key=lambda r: (LEVELS.index(r.level), r.code),
            )
        found += await search_villages(q, scope, limit=per_page - len(found))
        return RegionPage(items=found, total=len(found), page=1, per_page=per_page)
    query = Region.all()
    if level:
        if level not in LEVELS:
            raise InvalidInput(_("未知的地区层级：%(level)s", level=level), field="level")
        query = query.filter(level=level)
    if parent:
        query = query.filter(parent_id=parent)
    if province:
        query = query.filter(province_code=province)
    if q:
        if len(q) > 64:
            raise InvalidInput(_("查询过长。"), field="q")
        query = query.filter(name__contains=q)
    if poverty_only:
        query = query.filter(is_poverty_county=True)
    total = await query.count()
    items = await query.order_by("code").offset((page - 1) * per_page).limit(per_page)
    return RegionPage(items=items, total=total, page=page, per_page=per_page)


#: How long a process keeps the province and county choices of the list filters. The places
#: above the village change only with ``fupin data load`` (which forgets them in its own
#: process); other processes see the change after at most this long.
CHOICES_SECONDS = 60.0
_choices: dict[tuple[str, str], tuple[int, float, list[Region]]] = {}


def forget_choices() -> None:
    """Drop the cached choices (after the region tree changed in this process)."""
    _choices.clear()


async def choices(level: str, *, province: str = "") -> list[Region]:
    """The provinces, or the counties of one province, by code: the filters of every list page.
    Cached per process (``CHOICES_SECONDS``): read on every page, changed once a year."""
    if level not in ("province", "county"):
        raise InvalidInput(_("未知的地区层级：%(level)s", level=level), field="level")
    key = (level, province)
    now = time.monotonic()
    hit = _choices.get(key)
    if hit is not None and hit[0] == generation() and now - hit[1] < CHOICES_SECONDS:
        return hit[2]
    query = Region.filter(level=level)
    if province:
        query = query.filter(province_code=province)
    items = list(await query.order_by("code").limit(1000))
    _choices[key] = (generation(), now, items)
    return items


#: The last code point: ``name < q + MAX_CHAR`` closes the range of names starting with q.
MAX_CHAR = "\U0010ffff"


async def search_villages(q: str, scope: Scope = EVERYWHERE, *, limit: int = 20) -> list[Region]:
    """The village picker: villages whose name contains ``q`` within a county or a province;
    across the whole country, names that start with ``q`` (an index range on SQLite; a
    substring over 620,573 names is a full scan, ~200 ms). Merged villages are left out: a
    new need goes to the village that absorbed them."""
    q = q.strip()
    if not q or limit <= 0:
        return []
    if len(q) > 64:
        raise InvalidInput(_("查询过长。"), field="q")
    query = Region.filter(level="village", merged_into_id__isnull=True)
    if scope.county_code:
        query = query.filter(county_code=scope.county_code, name__contains=q)
    elif scope.province_code:
        query = query.filter(province_code=scope.province_code, name__contains=q)
    elif sql.dialect() == "sqlite":
        query = query.filter(name__gte=q, name__lt=q + MAX_CHAR)
    else:
        query = query.filter(name__startswith=q)
    return list(await query.order_by("name", "code").limit(limit))


# --- a county keeps its villages (docs/domain.md §3.1) -----------------------------------------
#
# The registry lags: a village is missing, renamed or merged into another. The county's officers
# add, rename and merge their own villages; every edit is a RegionChange (what the province
# office reads, what a later `fupin data load` compares with) and an audit row, in the
# transaction of the edit. Needs and money point at the village's code, which never changes, so
# they stay with their village whatever its name or merge.

#: What a change keeps of the village before and after.
_CHANGE_FIELDS = ("name", "parent_id", "merged_into_id", "is_poor_village")


async def _county_village(actor: Actor, code: str, field: str) -> Region:
    """The village ``code`` of the actor's county, or an error naming ``field``."""
    code = (code or "").strip()
    if not rules.is_village_code(code):
        raise InvalidInput(_("村代码应为 12 位数字：%(code)s", code=code), field=field)
    village = await Region.get_or_none(code=code, level="village")
    if village is None:
        raise NotFound(_("没有代码为 %(code)s 的村。", code=code), field=field)
    require(actor, "region.edit", scope_of(village))
    return village


async def _log(
    actor: Actor,
    conn: Any,
    village: Region,
    action: str,
    before: dict[str, object] | None,
    after: dict[str, object],
) -> RegionChange:
    change = await RegionChange.create(
        region_id=village.code,
        county_code=village.county_code,
        province_code=village.province_code,
        action=action,
        before=before,
        after=after,
        actor_id=actor.user_id,
        actor_label=actor.username,
        using_db=conn,
    )
    await audit.record(
        actor=actor,
        action=f"region.{action}",
        object_type="region",
        object_id=village.code,
        before=before,
        after=after,
    )
    return change


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("请填写村名。"), field="name")
    if len(name) > 64:
        raise InvalidInput(_("村名不能超过 64 个字。"), field="name")
    return name


async def _refuse_duplicate_name(township_code: str, name: str, *, other_than: str = "") -> None:
    """Two villages of one township with one name could not be told apart in the picker."""
    taken = (
        Region.filter(parent_id=township_code, level="village", name=name)
        .exclude(code=other_than)
        .filter(merged_into_id__isnull=True)
    )
    if await taken.exists():
        raise Conflict(_("本乡镇已有名为“%(name)s”的村。", name=name), field="name")


async def add_village(actor: Actor, *, township_code: str, code: str, name: str) -> Region:
    township_code = (township_code or "").strip()
    code = (code or "").strip()
    if not rules.is_township_code(township_code):
        raise InvalidInput(
            _("乡镇代码应为 9 位数字：%(code)s", code=township_code), field="township_code"
        )
    township = await Region.get_or_none(code=township_code, level="township")
    if township is None:
        raise NotFound(_("没有代码为 %(code)s 的乡镇。", code=township_code), field="township_code")
    require(actor, "region.edit", scope_of(township))
    if not rules.is_village_code(code) or not code.startswith(township_code):
        raise InvalidInput(
            _("村代码应为 12 位数字，以所属乡镇代码 %(township)s 开头。", township=township_code),
            field="code",
        )
    if await Region.exists(code=code):
        raise Conflict(_("代码 %(code)s 已被使用。", code=code), field="code")
    name = _clean_name(name)
    await _refuse_duplicate_name(township_code, name)
    async with transaction() as conn:
        village = await Region.create(
            code=code,
            name=name,
            level="village",
            kind="村",
            parent_id=township_code,
            province_code=township.province_code,
            prefecture_code=township.prefecture_code,
            county_code=township.county_code,
            full_name=f"{township.full_name} {name}",
            origin="county",
            using_db=conn,
        )
        await _log(actor, conn, village, "added", None, audit.snapshot(village, _CHANGE_FIELDS))
    return village


async def rename_village(actor: Actor, code: str, *, name: str) -> Region:
    village = await _county_village(actor, code, "code")
    name = _clean_name(name)
    if name == village.name:
        raise InvalidInput(_("新名称与现名称相同。"), field="name")
    await _refuse_duplicate_name(str(village.parent_id or ""), name, other_than=village.code)
    before = audit.snapshot(village, _CHANGE_FIELDS)
    trail = village.full_name.rsplit(" ", 1)[0] if " " in village.full_name else ""
    async with transaction() as conn:
        village.name = name
        village.full_name = f"{trail} {name}".strip()
        await village.save(using_db=conn, update_fields=["name", "full_name"])
        await _log(actor, conn, village, "renamed", before, audit.snapshot(village, _CHANGE_FIELDS))
    return village


async def merge_village(actor: Actor, code: str, *, into: str) -> Region:
    village = await _county_village(actor, code, "code")
    into = (into or "").strip()
    if not rules.is_village_code(into):
        raise InvalidInput(_("村代码应为 12 位数字：%(code)s", code=into), field="into")
    target = await Region.get_or_none(code=into, level="village")
    if target is None:
        raise NotFound(_("没有代码为 %(code)s 的村。", code=into), field="into")
    if target.county_code != village.county_code:
        raise InvalidInput(_("只能并入本县的村。"), field="into")
    if target.code == village.code:
        raise InvalidInput(_("不能并入自身。"), field="into")
    if village.merged_into_id:
        raise Conflict(_("该村已并入其他村。"), field="code")
    if target.merged_into_id:
        raise InvalidInput(_("目标村已并入其他村，请选择现存的村。"), field="into")
    before = audit.snapshot(village, _CHANGE_FIELDS)
    async with transaction() as conn:
        village.merged_into_id = target.code
        await village.save(using_db=conn, update_fields=["merged_into_id"])
        after = audit.snapshot(village, _CHANGE_FIELDS) | {"merged_into_name": target.name}
        await _log(actor, conn, village, "merged", before, after)
    return village


async def county_changes(actor: Actor, *, limit: int = 200) -> list[RegionChange]:
    """The counties' edits an office reads: a province office its province's, the national
    office and auditors all."""
    require(actor, "region.changes.view")
    query = RegionChange.all()
    if actor.role == "province_office":
        query = query.filter(province_code=actor.province_code)
    return list(await query.order_by("-id").limit(limit).prefetch_related("region"))


async def county_page(actor: Actor, code: str) -> Region:
    """The county whose villages the actor keeps (its officers only)."""
    county = await get_region(code)
    if county.level != "county":
        raise NotFound(_("地区代码不存在：%(code)s", code=code), field="code")
    require(actor, "region.edit", scope_of(county))
    return county


async def county_villages(
    county: Region,
    *,
    township: str = "",
    q: str = "",
    poor: str = "",
    page: int = 1,
    per_page: int = 100,
) -> RegionPage:
    """A county's villages for its officers, filtered by township, part of the name and the
    poor-village flag ("yes" / "no")."""
    query = Region.filter(county_code=county.code, level="village")
    if township:
        query = query.filter(parent_id=township)
    if q:
        query = query.filter(name__contains=q[:64])
    if poor in ("yes", "no"):
        query = query.filter(is_poor_village=poor == "yes")
    total = await query.count()
    items = await query.order_by("code").offset((page - 1) * per_page).limit(per_page)
    return RegionPage(items=list(items), total=total, page=page, per_page=per_page)


async def townships_of(county: Region) -> list[Region]:
    return list(await Region.filter(parent_id=county.code, level="township").order_by("code"))


# --- the poor-village flag (建档立卡贫困村), kept by the county ----------------------------------

#: The first year of 建档立卡 (the national registration of poor villages and households began
#: in 2014); a year before it is a typing error.
FIRST_POOR_YEAR = 2014
_POOR_FIELDS = ("is_poor_village", "poor_identified_year", "poor_exited_year")
_YES = {"是", "yes", "y", "true", "1", "on"}
_NO = {"否", "no", "n", "false", "0", "off", ""}

#: The upload's columns: key, label (Chinese, as in the template), required.
POOR_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("code", N_("村代码"), True),
    ("is_poor", N_("建档立卡贫困村"), True),
    ("identified_year", N_("识别年份"), False),
    ("exited_year", N_("退出年份"), False),
)


@dataclass(frozen=True)
class PoorFlag:
    is_poor: bool
    identified: int | None
    exited: int | None


def _year(raw: object, field: str) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if text.endswith(".0"):  # a year typed in a spreadsheet cell arrives as a float
        text = text[:-2]
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{4}", text):
        raise InvalidInput(_("年份应为四位数字：%(v)s", v=text), field=field)
    year = int(text)
    if not FIRST_POOR_YEAR <= year <= today_cn().year:
        raise InvalidInput(
            _("年份应在 %(a)s 至 %(b)s 之间。", a=FIRST_POOR_YEAR, b=today_cn().year), field=field
        )
    return year


def parse_poor_flag(is_poor: object, identified: object, exited: object) -> PoorFlag:
    """The flag and its years as typed (form or upload), or InvalidInput naming the field:
    years only for a poor village, the exit not before the identification."""
    text = str(is_poor if is_poor is not None else "").strip().lower()
    if text in _YES:
        flag = True
    elif text in _NO:
        flag = False
    else:
        raise InvalidInput(_("请填“是”或“否”：%(v)s", v=text), field="is_poor")
    first = _year(identified, "identified_year")
    last = _year(exited, "exited_year")
    if not flag and (first or last):
        raise InvalidInput(_("不是贫困村时不填识别、退出年份。"), field="identified_year")
    if last and not first:
        raise InvalidInput(_("填写退出年份时请同时填写识别年份。"), field="identified_year")
    if first and last and last < first:
        raise InvalidInput(_("退出年份不能早于识别年份。"), field="exited_year")
    return PoorFlag(flag, first, last)


async def _apply_poor_flag(actor: Actor, village: Region, flag: PoorFlag) -> bool:
    """Write the flag when it differs (inside the caller's transaction); False when unchanged."""
    before = audit.snapshot(village, _POOR_FIELDS)
    village.is_poor_village = flag.is_poor
    village.poor_identified_year = flag.identified
    village.poor_exited_year = flag.exited
    after = audit.snapshot(village, _POOR_FIELDS)
    if after == before:
        return False
    await village.save(update_fields=list(_POOR_FIELDS))
    await _log(actor, None, village, "poor_flag", before, after)
    return True


async def set_poor_flag(
    actor: Actor, code: str, *, is_poor: str, identified: str, exited: str
) -> Region:
    village = await _county_village(actor, code, "poor_village")
    flag = parse_poor_flag(is_poor, identified, exited)
    async with transaction():
        await _apply_poor_flag(actor, village, flag)
    return village


def _poor_header(header: list[Any]) -> tuple[dict[int, str], list[RowError]]:
    known: dict[str, str] = {}
    for key, label, _required in POOR_COLUMNS:
        known[key] = key
        known[label] = key
        known[_(label).lower()] = key
    mapping: dict[int, str] = {}
    errors: list[RowError] = []
    for index, raw in enumerate(header):
        text = re.sub(r"\s+", "", str(raw or "")).lstrip("\ufeff").rstrip("*＊")
        found = known.get(text) or known.get(text.lower())
        if found is None:
            if text:
                errors.append(RowError(1, text, _("无法识别的列名（请使用模板中的列名）。")))
            continue
        if found in mapping.values():
            errors.append(RowError(1, text, _("列重复。")))
            continue
        mapping[index] = found
    for key, label, required in POOR_COLUMNS:
        if required and key not in mapping.values():
            errors.append(RowError(1, _(label), _("缺少必填列。")))
    return mapping, errors


def _poor_label(key: str) -> str:
    return next((_(label) for k, label, _r in POOR_COLUMNS if k == key), key)


async def poor_import(
    actor: Actor, county: Region, data: bytes, filename: str, *, commit: bool
) -> ImportReport:
    """The county's list of poor villages from CSV/XLSX: every row checked (a village of this
    county, a code once in the file, the flag and years as on the form), problems reported as
    (row, column, message); ``commit`` writes every changed row in one transaction, only when
    no row has a problem."""
    require(actor, "region.edit", scope_of(county))
    rows = await asyncio.to_thread(read_rows, data, filename)
    report = ImportReport(filename=filename)
    mapping, report.errors = _poor_header(rows[0][1])
    if report.errors:
        return report
    parsed: list[tuple[Region, PoorFlag]] = []
    seen: dict[str, int] = {}
    body = rows[1:]
    report.rows = len(body)
    codes = [
        str(cells[i] or "").strip() for _n, cells in body for i, k in mapping.items() if k == "code"
    ]
    villages = {
        v.code: v
        for v in await Region.filter(
            code__in=[c for c in codes if rules.is_village_code(c)], level="village"
        )
    }
    for number, cells in body:
        raw = {key: (cells[i] if i < len(cells) else None) for i, key in mapping.items()}
        code = str(raw.get("code") or "").strip()
        if code.endswith(".0"):
            code = code[:-2]
        column = _poor_label("code")
        if not rules.is_village_code(code):
            report.errors.append(
                RowError(number, column, _("村代码应为 12 位数字：%(code)s", code=code))
            )
            continue
        village = villages.get(code)
        if village is None:
            report.errors.append(
                RowError(number, column, _("没有代码为 %(code)s 的村。", code=code))
            )
            continue
        if village.county_code != county.code:
            report.errors.append(RowError(number, column, _("不是本县的村：%(code)s", code=code)))
            continue
        if code in seen:
            report.errors.append(
                RowError(
                    number, column, _("与第 %(row)s 行重复：%(code)s", row=seen[code], code=code)
                )
            )
            continue
        seen[code] = number
        try:
            flag = parse_poor_flag(
                raw.get("is_poor"), raw.get("identified_year"), raw.get("exited_year")
            )
        except InvalidInput as error:
            name = {"is_poor": "is_poor"}.get(error.field or "", error.field or "")
            report.errors.append(RowError(number, _poor_label(name), error.message))
            continue
        parsed.append((village, flag))
    if commit and report.ok:
        async with transaction():
            for village, flag in parsed:
                await _apply_poor_flag(actor, village, flag)
        report.committed = True
    return report


async def poor_template_csv(county: Region) -> bytes:
    """The upload's header (Chinese labels, as the dry run reads them) and one example row: the
    county's first village, flagged with example years."""
    first = await Region.filter(county_code=county.code, level="village").order_by("code").first()
    header = ",".join(_(label) for _k, label, _r in POOR_COLUMNS)
    example = f"\r\n{first.code},是,2014,2019" if first else ""
    return (header + example + "\r\n").encode("utf-8-sig")
