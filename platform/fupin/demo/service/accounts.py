"""Demo data: participants of all seven kinds and one login per role (idempotent).

Demo accounts share one password, printed by `fupin demo` and `fupin quickstart`; the command
refuses to run in production. Later areas (needs, money…) add their own steps to DEMO_STEPS.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from stdnum.cn import uscc as stdnum_uscc

from fupin.accounts.models import Participant, User
from fupin.accounts.service import participants
from fupin.accounts.service import users as accounts
from fupin.regions.models import Region
from fupin.settings import Settings

DEMO_PASSWORD = "fupin-demo-2026"
#: Demo county: 广南县 (云南省文山州), one of the 832 poverty counties.
DEMO_PROVINCE = "530000"
DEMO_COUNTY = "532627"
DEMO_TOWNSHIP_PREFIX = "532627"


def demo_uscc(body: str) -> str:
    """A syntactically valid USCC (check character computed per GB 32100-2015)."""
    return body + stdnum_uscc.calc_check_digit(body)


DEMO_PARTICIPANTS = [
    # (kind, name, USCC body (17 chars) or "", description)
    (
        "enterprise",
        "云岭绿色农业发展有限公司（演示）",
        "91530100MA6K2D3X1",
        "消费帮扶、产业合作的民营企业。",
    ),
    (
        "social_org",
        "彩云乡村发展基金会（演示）",
        "53530000MJ0123456",
        "具有公益性捐赠税前扣除资格的基金会。",
    ),
    ("individual", "张明（演示）", "", "个人捐赠者。"),
    ("central_unit", "某中央单位定点帮扶工作组（演示）", "11100000000012345", "定点帮扶广南县。"),
    ("east_partner", "上海市某区对口帮扶办公室（演示）", "11310000000067890", "东西部协作。"),
    (
        "democratic_party",
        "某民主党派省委员会（演示）",
        "51530000500012345",
        "民主党派、工商联参与扶贫。",
    ),
    ("military", "某部队驻地帮扶组（演示）", "", "军队和武警部队参与扶贫。"),
]


@dataclass
class DemoLogin:
    role: str
    username: str
    scope: str


@dataclass
class DemoResult:
    logins: list[DemoLogin] = field(default_factory=list)
    participants_created: int = 0
    users_created: int = 0
    extra: dict[str, int] = field(default_factory=dict)


async def _village(county_code: str) -> Region:
    """The demo village worker's village: the county's first real village (data/villages.csv.gz)."""
    village = (
        await Region.filter(level="village", county_code=county_code, kind="村")
        .order_by("code")
        .first()
    )
    if village is None:
        raise RuntimeError(
            f"no villages loaded for county {county_code}: run `fupin data load` first"
        )
    return village


async def load_demo_accounts(settings: Settings) -> DemoResult:
    result = DemoResult()
    by_kind: dict[str, Participant] = {}
    for kind, name, body, description in DEMO_PARTICIPANTS:
        existing = await Participant.get_or_none(name=name)
        if existing is None:
            existing = await participants.create_participant(
                actor=None,
                kind=kind,
                name=name,
                uscc=demo_uscc(body) if body else "",
                id_number="11010519491231002X" if kind == "individual" else "",
                region_code=DEMO_PROVINCE,
                description=description,
                pepper=str(settings.secret_key),
                is_demo=True,
            )
            result.participants_created += 1
        by_kind[kind] = existing
    village = await _village(DEMO_COUNTY)
    plan = [
        ("national_admin", "admin", "国家扶贫办管理员（演示）", None, None, "全国"),
        ("province_office", "yunnan", "云南省扶贫办（演示）", DEMO_PROVINCE, None, "云南省"),
        ("county_officer", "guangnan", "广南县扶贫办（演示）", DEMO_COUNTY, None, "广南县"),
        (
            "village_worker",
            "shimen",
            f"{village.name}信息员（演示）",
            village.code,
            None,
            village.full_name,
        ),
        (
            "participant_member",
            "donor",
            "云岭农业财务（演示）",
            None,
            by_kind["enterprise"].id,
            by_kind["enterprise"].name,
        ),
        ("auditor", "auditor", "审计（演示）", None, None, "全国，只读"),
    ]
    for role, username, display, region_code, participant_id, scope in plan:
        if not await User.exists(username=username):
            await accounts.create_user(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=display,
                region_code=region_code,
                participant_id=participant_id,
            )
            result.users_created += 1
        result.logins.append(DemoLogin(role=role, username=username, scope=scope))
    return result


DemoStep = Callable[[Settings, DemoResult, int], Awaitable[None]]
#: "module:function" steps run after the accounts, each idempotent: (settings, result, needs).
DEMO_STEPS: list[str] = [
    "fupin.demo.service.needs:load_demo_needs",
    "fupin.demo.service.money:load_demo_money",
    "fupin.demo.service.progress:load_demo_progress",
    "fupin.demo.service.disclosure:load_demo_disclosure",
    "fupin.demo.service.matching:load_demo_matching",
    "fupin.demo.service.pairs:load_demo_pairs",
    "fupin.demo.service.commendation:load_demo_commendation",
]


async def load_demo(settings: Settings, *, needs: int = 2000) -> DemoResult:
    if settings.is_production:
        raise RuntimeError("refusing to load demo data in production (FUPIN_ENV=production)")
    result = await load_demo_accounts(settings)
    for spec in DEMO_STEPS:
        module, func = spec.split(":")
        step: DemoStep = getattr(importlib.import_module(module), func)
        await step(settings, result, needs)
    return result
