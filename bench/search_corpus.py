"""Synthetic needs for the search benchmark, built on the real region data.

Counties, their prefectures/provinces and contiguous-area tags come from
``poverty_counties.csv`` (the 832 national poverty counties) and townships from ``townships.csv``
(see that folder's README for provenance). Titles, descriptions, villages and amounts are
generated (seeded, so every run indexes the same corpus). Output is the search document shape of
``fupin.search.rules.documents.FIELDS``.

    python bench/search_corpus.py 5     # print five documents
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fupin import REPO_ROOT
from fupin.core.categories import CATEGORIES
from fupin.search.rules.documents import amount_band
from fupin.search.rules.settings_data import default_settings

STATES = [("published", 55), ("funded", 15), ("in_progress", 15), ("completed", 10), ("closed", 5)]

TITLES: dict[str, list[str]] = {
    "roads": [
        "{v}通村道路硬化工程",
        "{v}组级道路硬化",
        "{t}至{v}公路拓宽改造",
        "{v}村内道路修缮",
        "{v}便民桥梁建设",
        "{v}产业生产便道建设",
    ],
    "drinking_water": [
        "{v}饮水安全巩固提升工程",
        "{v}集中供水管网改造",
        "{v}人饮工程水窖修建",
        "{v}自来水入户工程",
        "{v}饮用水水源地保护",
    ],
    "electricity": [
        "{v}农网改造升级",
        "{v}村级光伏电站建设",
        "{v}电网线路改造",
        "{v}太阳能路灯安装",
    ],
    "housing": [
        "{v}危房改造",
        "{v}农房抗震改造",
        "{v}住房安全保障工程",
        "{v}易地扶贫搬迁安置点配套",
    ],
    "industry": [
        "{v}特色种植基地建设",
        "{v}生猪养殖合作社",
        "{v}茶叶加工厂",
        "{v}高标准农田建设",
        "{v}农产品冷链仓储",
        "{v}食用菌大棚",
    ],
    "tourism": ["{v}乡村旅游民宿改造", "{v}农家乐提升", "{v}旅游步道建设", "{v}民俗文化村建设"],
    "education": [
        "{v}小学食堂改造",
        "{v}小学教室修缮",
        "{t}中心校学生宿舍",
        "{v}幼儿园建设",
        "{v}留守儿童之家",
        "{v}学校图书室",
    ],
    "health": [
        "{v}卫生室标准化建设",
        "{v}医疗设备购置",
        "{v}家庭医生签约服务",
        "{t}卫生院药品配备",
    ],
    "culture": ["{v}农家书屋", "{v}文化广场建设", "{v}村史馆", "{v}文艺队演出设备"],
    "informatization": ["{v}宽带网络覆盖", "{v}电商服务站", "{v}信息服务站建设", "{v}远程教育设备"],
    "other": ["{v}垃圾收集处理", "{v}公共厕所改造", "{v}劳动力技能培训", "{v}东西部协作产业帮扶"],
}

PROBLEMS: dict[str, list[str]] = {
    "roads": [
        "村民出行主要依靠土路，雨季泥泞难行，农产品运不出去。",
        "现有道路路面破损严重，校车和救护车无法通行。",
    ],
    "drinking_water": [
        "村民长期饮用山泉水和窖水，旱季缺水严重，水质不达标。",
        "现有供水管网老化，漏损率高，部分农户吃水困难。",
    ],
    "electricity": ["村内电压不稳，生产用电无法保障。", "线路老化存在安全隐患，夜间照明不足。"],
    "housing": [
        "部分农户住房为土坯房，经鉴定为C级、D级危房。",
        "农房抗震能力弱，雨季存在垮塌风险。",
    ],
    "industry": ["村集体经济薄弱，缺少稳定增收产业。", "农户分散经营，产品附加值低，销路不畅。"],
    "tourism": [
        "村内自然风光和民族文化资源丰富，但接待设施简陋。",
        "游客逐年增加，缺少住宿和餐饮配套。",
    ],
    "education": [
        "学校现有设施陈旧，无法满足学生就餐和住宿需要。",
        "留守儿童较多，课后缺少学习和活动场所。",
    ],
    "health": ["村卫生室设备简陋，群众看病需到乡镇卫生院。", "慢性病患者较多，基本药品配备不足。"],
    "culture": ["村民文化生活单调，缺少活动场地和图书。", "传统文化传承缺少展示空间。"],
    "informatization": [
        "村内网络信号弱，农产品线上销售困难。",
        "缺少信息服务点，村民办事需往返县城。",
    ],
    "other": ["生活垃圾随意堆放，人居环境较差。", "青壮年劳动力技能单一，外出务工收入不稳定。"],
}

PLANS = [
    "项目建成后可惠及{people}名群众，其中脱贫户{poor}户。",
    "计划由村民理事会组织实施，县扶贫办负责监督验收，资金使用情况在村务公开栏公示。",
    "项目已纳入县级巩固拓展脱贫攻坚成果项目库，工期约{months}个月。",
]

VILLAGE_A = "石黄大小新红白龙马杨高上下中东西南北青清长安和平太金银凤桃柳松竹梅"
VILLAGE_B = "门泥坪山河坝沟岭湾田水家寨庄峰林溪塘桥岩"


def data_dir() -> Path:
    """The lead's copy in the repository's data/ when present, else the shared staging folder."""
    repo = REPO_ROOT / "data"
    if (repo / "poverty_counties.csv").exists():
        return repo
    return REPO_ROOT.parent / "shared" / "data"


def load_regions(
    directory: Path | None = None,
) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    directory = directory or data_dir()
    with (directory / "poverty_counties.csv").open(encoding="utf-8") as fh:
        counties = list(csv.DictReader(fh))
    townships: dict[str, list[str]] = defaultdict(list)
    with (directory / "townships.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            townships[row["county_code"]].append(row["name"])
    return counties, townships


def generate_needs(n: int, seed: int = 42, directory: Path | None = None) -> Iterator[dict]:
    """``n`` search documents with ids 1..n (deterministic for a seed)."""
    settings = default_settings()
    rng = random.Random(seed)
    counties, townships = load_regions(directory)
    states, weights = zip(*STATES, strict=True)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    categories = list(CATEGORIES)
    for need_id in range(1, n + 1):
        county = rng.choice(counties)
        towns = townships.get(county["code"]) or [county["name"][:2] + "镇"]
        township = rng.choice(towns)
        village = rng.choice(VILLAGE_A) + rng.choice(VILLAGE_B) + "村"
        category = rng.choice(categories)
        title = rng.choice(TITLES[category]).format(v=village, t=township)
        households = rng.randint(30, 600)
        people = households * rng.randint(3, 5)
        poor = rng.randint(5, max(6, households // 3))
        description = (
            f"{county['name']}{township}{village}位于{county['prefecture']}，"
            f"共有农户{households}户{people}人，其中脱贫户{poor}户。"
            + rng.choice(PROBLEMS[category])
            + "".join(rng.sample(PLANS, 2)).format(
                people=people, poor=poor, months=rng.randint(2, 12)
            )
        )
        target_fen = round(10 ** rng.uniform(5.7, 8.3), -4)
        state = rng.choices(states, weights)[0]
        pledged = target_fen if state != "published" else round(target_fen * rng.random() * 0.9, -2)
        received = (
            pledged if state in ("completed", "closed") else round(pledged * rng.random(), -2)
        )
        published = start + timedelta(seconds=rng.randint(0, 730 * 86400))
        deadline = (published + timedelta(days=rng.randint(30, 365))).date()
        deadline_ts = int(
            datetime(deadline.year, deadline.month, deadline.day, tzinfo=UTC).timestamp()
        )
        yield {
            "id": need_id,
            "title": title,
            "description": description,
            "category": category,
            "category_label": CATEGORIES[category],
            "state": state,
            "province": county["province"],
            "province_code": county["code"][:2] + "0000",
            "prefecture": county["prefecture"],
            "county": county["name"],
            "county_code": county["code"],
            "township": township,
            "village": village,
            "contiguous_area": county["special_area"],
            "is_poverty_county": True,
            "target_fen": int(target_fen),
            "pledged_fen": int(pledged),
            "received_fen": int(received),
            "open_fen": int(target_fen - pledged),
            "amount_band": amount_band(int(target_fen), settings),
            "deadline": deadline.isoformat(),
            "deadline_ts": deadline_ts,
            "published_ts": int(published.timestamp()),
            "beneficiary_people": people,
            "beneficiary_households": households,
        }


if __name__ == "__main__":
    for doc in generate_needs(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print(json.dumps(doc, ensure_ascii=False))
