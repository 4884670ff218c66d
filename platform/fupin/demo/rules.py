"""Generated Chinese text for demo needs (issue 3, scope 7).

Demo needs must read like the project proposals a county poverty office really files: a title in
the usual "village + works + size" shape, a description that gives the village's situation, what
will be built, how the budget was reckoned and who benefits, and budgets in the ranges such
projects cost. Real-looking text also exercises search (饮水/饮用水/自来水, 道路/公路/通村路, 危房,
小学/食堂, 卫生室, 光伏, 养殖, 电商…), which is the point of good demo data (BRIEF §1: the 2017
platform was hurt by needs that looked frivolous and by weak search).

Everything here is a pure function of its arguments and the ``random.Random`` it is given, so a
seed reproduces the same demo data. Village names are invented (the caller marks those villages as
generated); counties and townships are passed in from the real reference data. The text is demo
*content*, stored like any user-written need, so it does not go through gettext.
Money is integer fen (分); amounts shown in the text are derived from the same integers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from fupin.core.money import budget_text

YUAN = 100  # fen
WAN = 10_000 * YUAN  # 万元 in fen

# --- village names -------------------------------------------------------------------------------

_NAME_FIRST = tuple(
    "石新沙黄白马龙青红柳桃杨梨枣松竹岩金凤双三五大小上下中东西南北高长平安兴和太花梅"
)
_NAME_PLACE = tuple("门庄坝沟坪湾岭坡寨屯堡营店桥口河塘垭冲峪岗田溪山园林峰湖窝场台洞滩")
_NAME_SURNAME = tuple("王李张刘陈杨赵黄周吴徐孙马胡朱郭何罗高林田邓龙杜")
_NAME_MODIFIER = tuple("大小上下中老新前后")
_NAME_AUSPICIOUS = (
    "团结", "胜利", "光明", "和平", "红旗", "向阳", "民主", "幸福", "新华", "永安", "长青",
    "丰收", "友谊", "前进", "建设", "联合", "太平", "兴隆", "富民", "和谐",
)  # fmt: skip


def village_name(rng: random.Random) -> str:
    """An invented but ordinary village name ending in 村 (石门村, 王家坪村, 大河口村, 团结村).

    Built from the commonest patterns of Chinese village names: landform words (坝, 沟, 坪, 湾,
    垭, 寨, 屯…), surname + 家 + landform, a modifier (大/小/上/下/老/新…) before a place name, and the
    "auspicious" collective-era names.
    """
    pattern = rng.random()
    if pattern < 0.40:
        first = rng.choice(_NAME_FIRST)
        place = rng.choice([p for p in _NAME_PLACE if p != first])
        stem = first + place
    elif pattern < 0.65:
        surname = rng.choice(_NAME_SURNAME)
        stem = surname + "家" + rng.choice([p for p in _NAME_PLACE if p != surname])
    elif pattern < 0.80:
        modifier = rng.choice(_NAME_MODIFIER)
        first = rng.choice([f for f in _NAME_FIRST if f != modifier])
        stem = modifier + first + rng.choice(_NAME_PLACE)
    else:
        stem = rng.choice(_NAME_AUSPICIOUS)
    return stem + "村"


# --- result types --------------------------------------------------------------------------------


class NeedItemText(NamedTuple):
    """An in-kind item of a need (BRIEF §3.4: name, quantity, unit, unit value)."""

    name: str
    quantity: int
    unit: str
    unit_value_fen: int

    @property
    def total_fen(self) -> int:
        return self.quantity * self.unit_value_fen


@dataclass(frozen=True)
class NeedText:
    title: str
    description: str
    target_fen: int
    items: list[NeedItemText] = field(default_factory=list)
    households: int = 0
    people: int = 0


#: Budget range of each category in fen, inclusive: what such village projects cost. Roads:
#: 0.8-5 km of 3.5-4.5 m concrete at 40-60万元/km; a small school kitchen is 5-30万元.
BUDGET_RANGE_FEN: dict[str, tuple[int, int]] = {
    "roads": (30 * WAN, 300 * WAN),
    "drinking_water": (8 * WAN, 150 * WAN),
    "electricity": (10 * WAN, 200 * WAN),
    "housing": (5 * WAN, 200 * WAN),
    "industry": (10 * WAN, 150 * WAN),
    "tourism": (10 * WAN, 200 * WAN),
    "education": (1 * WAN, 80 * WAN),
    "health": (5 * WAN, 50 * WAN),
    "culture": (5 * WAN, 80 * WAN),
    "informatization": (3 * WAN, 60 * WAN),
    "other": (3 * WAN, 100 * WAN),
}

MAX_TITLE_LENGTH = 60

# --- helpers -------------------------------------------------------------------------------------


def _round_up(amount_fen: int, step_fen: int) -> int:
    return -(-amount_fen // step_fen) * step_fen


def _yuan(rng: random.Random, low: int, high: int, step: int = 1) -> int:
    """A price in fen between ``low`` and ``high`` 元, a multiple of ``step`` 元."""
    return rng.randrange(low, high + 1, step) * YUAN


@dataclass
class _Village:
    """The village facts every proposal opens with; drawn once per need."""

    rng: random.Random
    county: str
    township: str
    village: str
    groups: int = 0
    households: int = 0
    people: int = 0
    poor_households: int = 0

    def __post_init__(self) -> None:
        rng = self.rng
        self.groups = rng.randint(4, 12)
        self.households = rng.randint(150, 650)
        self.people = round(self.households * rng.uniform(3.0, 4.2))
        self.poor_households = round(self.households * rng.uniform(0.12, 0.35))

    def pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(options)

    def background(self) -> str:
        rng = self.rng
        terrain = self.pick(
            ("山区", "高寒山区", "丘陵地带", "石漠化山区", "深山区", "河谷地带", "干旱山区")
        )
        direction = self.pick(("东部", "西部", "南部", "北部", "东北部", "西南部", "西北部"))
        rate = round(self.poor_households / self.households * 100)
        return self.pick(
            (
                f"{self.village}位于{self.county}{self.township}{direction}，"
                f"距乡镇政府驻地{rng.randint(3, 25)}公里，地处{terrain}，"
                f"辖{self.groups}个村民小组{self.households}户{self.people}人，"
                f"其中建档立卡贫困户{self.poor_households}户。",
                f"{self.village}是{self.county}的建档立卡贫困村，全村{self.households}户"
                f"{self.people}人，分布在{self.groups}个村民小组，地处{terrain}，"
                "群众生产生活条件较差。",
                f"{self.township}{self.village}地处{terrain}，距县城{rng.randint(20, 90)}公里，"
                f"全村{self.households}户{self.people}人，贫困发生率{rate}%。",
            )
        )

    def share(self, low: float, high: float) -> tuple[int, int]:
        """Households and people of part of the village (the groups a project reaches)."""
        households = max(1, round(self.households * self.rng.uniform(low, high)))
        people = min(
            self.people, max(households, round(households * self.people / self.households))
        )
        return households, people


def _title(village: _Village, options: Sequence[str]) -> str:
    """One of the title templates, preferring short ones when long real names overflow 60."""
    first = village.pick(options)
    candidates = [first, *sorted(options, key=len)]
    for title in candidates:
        if len(title) <= MAX_TITLE_LENGTH:
            return title
    raise ValueError(f"every title is longer than {MAX_TITLE_LENGTH} characters: {first}")


def _items_budget(
    items: list[NeedItemText], works_fen: int, *, step_fen: int = 100 * YUAN
) -> tuple[int, int]:
    """Target = items + works (construction, installation, transport), rounded up to 100元."""
    items_fen = sum(item.total_fen for item in items)
    return items_fen, _round_up(items_fen + works_fen, step_fen)


# --- categories ----------------------------------------------------------------------------------


def _roads(v: _Village) -> NeedText:
    rng = v.rng
    tenths_km = rng.randint(8, 50)
    km = f"{tenths_km // 10}.{tenths_km % 10}".removesuffix(".0")
    per_km_fen = _yuan(rng, 400_000, 600_000, 10_000)
    target = tenths_km * per_km_fen // 10
    width = v.pick(("3.5", "4.5"))
    first_group = rng.randint(1, max(1, v.groups - 2))
    groups = f"{first_group}至{min(v.groups, first_group + rng.randint(1, 3))}组"
    households, people = v.share(0.3, 0.8)
    title = _title(
        v,
        (
            f"{v.village}通组道路硬化工程（{km}公里）",
            f"{v.village}{groups}通组公路硬化",
            f"{v.village}通村路拓宽硬化工程（{km}公里）",
            f"{v.township}{v.village}村组道路硬化项目",
            f"{v.village}产业路硬化（{km}公里）",
        ),
    )
    problem = v.pick(
        (
            f"目前{v.village}{groups}仍有{km}公里通组道路为土路和砂石路，雨天泥泞难行，"
            "农产品运不出去，群众出行和学生上学十分不便。",
            "村内通村路路面狭窄、坑洼不平，雨季常有塌方，车辆无法通行，"
            "群众生病就医、农资运输都要靠人背马驮。",
        )
    )
    build = (
        f"项目计划硬化道路{km}公里，路面宽{width}米，采用{rng.choice((18, 20))}厘米厚C25"
        f"水泥混凝土路面，同步建设排水边沟和错车道{rng.randint(2, 8)}处。"
    )
    budget = f"参照本县同类公路工程造价，按每公里{budget_text(per_km_fen)}测算，项目预算{budget_text(target)}。"
    benefit = v.pick(
        (
            f"项目建成后可解决{households}户{people}人的出行难问题，方便农产品外运。",
            f"道路硬化后，{households}户{people}人出行条件明显改善，为发展种养殖产业打下基础。",
        )
    )
    return NeedText(
        title, v.background() + problem + build + budget + benefit, target, [], households, people
    )


def _drinking_water(v: _Village) -> NeedText:
    rng = v.rng
    households, people = v.share(0.5, 1.0)
    pipe_m = rng.randrange(2000, 10_001, 100)
    tank_m3 = rng.choice((50, 80, 100, 150, 200, 300))
    items = [
        NeedItemText("PE供水管道", pipe_m, "米", _yuan(rng, 15, 40)),
        NeedItemText("净化消毒设备", 1, "套", _yuan(rng, 15_000, 40_000, 500)),
        NeedItemText("入户水表", households, "个", _yuan(rng, 120, 200, 10)),
    ]
    tank_fen = tank_m3 * _yuan(rng, 600, 1000, 50)
    items_fen, target = _items_budget(items, tank_fen + pipe_m * _yuan(rng, 5, 12))
    title = _title(
        v,
        (
            f"{v.village}集中供水工程管网延伸",
            f"{v.village}安全饮水巩固提升工程",
            f"{v.village}人畜饮水工程（蓄水池{tank_m3}立方米）",
            f"{v.village}自来水入户工程",
        ),
    )
    problem = v.pick(
        (
            f"{v.village}群众饮用水主要依靠山泉水和浅井水，旱季经常断水，水质未经处理，"
            f"部分农户要到{rng.randint(1, 5)}公里外挑水。",
            f"村内原有供水管道老化破损，跑冒滴漏严重，还有{households}户群众没有通自来水，"
            "饮用水安全得不到保障。",
        )
    )
    build = (
        f"项目新建{tank_m3}立方米蓄水池1座，铺设PE供水管道{pipe_m}米，"
        "配套安装净化消毒设备和入户水表，实现自来水入户。"
    )
    budget = (
        f"项目预算{budget_text(target)}，其中管材及设备{budget_text(items_fen)}，"
        f"蓄水池土建、管道开挖及安装{budget_text(target - items_fen)}。"
    )
    benefit = f"建成后可解决{households}户{people}人的饮水安全问题。"
    return NeedText(
        title,
        v.background() + problem + build + budget + benefit,
        target,
        items,
        households,
        people,
    )


def _electricity(v: _Village) -> NeedText:
    rng = v.rng
    kind = v.pick(("grid", "solar_power", "street_lights"))
    households, people = v.share(0.6, 1.0)
    if kind == "grid":
        transformers = rng.randint(1, 3)
        line_km = rng.randint(2, 8)
        items = [
            NeedItemText("变压器", transformers, "台", _yuan(rng, 50_000, 120_000, 1000)),
            NeedItemText("智能电表", households, "只", _yuan(rng, 300, 500, 10)),
        ]
        items_fen, target = _items_budget(items, line_km * _yuan(rng, 80_000, 150_000, 1000))
        title = _title(
            v,
            (
                f"{v.village}农网改造升级工程",
                f"{v.village}低压线路改造及变压器增容",
                f"{v.township}{v.village}农村电网改造",
            ),
        )
        problem = (
            f"村内现有变压器容量仅{rng.choice((50, 80, 100))}千伏安，低压线路架设于上世纪，"
            "线路老化、电压偏低，用电高峰时家电无法正常使用，制约了农产品加工等产业发展。"
        )
        build = (
            f"项目新增{rng.choice((200, 315, 400))}千伏安变压器{transformers}台，"
            f"改造低压线路{line_km}公里，更换智能电表{households}只。"
        )
    elif kind == "solar_power":
        kw = rng.randrange(60, 301, 20)
        panels = kw * 1000 // 450
        items = [
            NeedItemText("光伏组件（450瓦）", panels, "块", _yuan(rng, 550, 750, 10)),
            NeedItemText("并网逆变器", -(-kw // 50), "台", _yuan(rng, 10_000, 15_000, 500)),
        ]
        items_fen, target = _items_budget(items, kw * _yuan(rng, 1500, 2200, 50))
        title = _title(
            v,
            (
                f"{v.village}村级光伏电站建设（{kw}千瓦）",
                f"{v.village}光伏扶贫电站项目",
                f"{v.village}屋顶分布式光伏发电项目（{kw}千瓦）",
            ),
        )
        problem = (
            f"{v.village}村集体经济薄弱，没有稳定收入来源，但光照资源充足，"
            f"年日照时数在{rng.randint(1400, 2600)}小时以上，适宜发展光伏发电。"
        )
        # Annual yield: 1000-1400 full-load hours a year, i.e. kW × hours kWh (shown in 万千瓦时).
        yearly_kwh = kw * rng.randrange(1000, 1401, 50)
        build = (
            f"项目建设{kw}千瓦村级光伏电站，所发电量全额上网，预计年发电"
            f"{yearly_kwh / 10_000:.1f}万千瓦时，收益用于设置公益岗位和贫困户分红。"
        )
    else:
        lamps = rng.randrange(40, 201, 5)
        items = [NeedItemText("太阳能路灯", lamps, "盏", _yuan(rng, 2800, 4500, 50))]
        items_fen, target = _items_budget(items, lamps * _yuan(rng, 300, 600, 10))
        title = _title(
            v,
            (
                f"{v.village}太阳能路灯安装项目（{lamps}盏）",
                f"{v.village}亮化工程",
                f"{v.village}主干道太阳能路灯建设",
            ),
        )
        problem = "村内主干道和群众聚居点没有路灯，夜间出行只能打手电，老人和学生出行存在安全隐患。"
        build = f"项目在村主干道和聚居点安装太阳能路灯{lamps}盏，不需架设线路，不产生电费。"
    budget = (
        f"项目预算{budget_text(target)}，其中设备购置{budget_text(items_fen)}，"
        f"安装施工{budget_text(target - items_fen)}。"
    )
    benefit = f"项目受益{households}户{people}人，其中建档立卡贫困户{min(v.poor_households, households)}户。"
    return NeedText(
        title,
        v.background() + problem + build + budget + benefit,
        target,
        items,
        households,
        people,
    )


def _housing(v: _Village) -> NeedText:
    rng = v.rng
    rebuild = rng.randint(2, 20)
    repair = rng.randint(3, 20)
    count = rebuild + repair
    items = [
        NeedItemText("D级危房拆除重建补助", rebuild, "户", _yuan(rng, 30_000, 45_000, 1000)),
        NeedItemText("C级危房维修加固补助", repair, "户", _yuan(rng, 10_000, 20_000, 1000)),
    ]
    _, target = _items_budget(items, 0)
    households = count
    people = rng.randint(count * 2, count * 4)
    title = _title(
        v,
        (
            f"{v.village}危房改造（{count}户）",
            f"{v.village}农村危房改造及抗震加固项目（{count}户）",
            f"{v.village}贫困户住房安全保障工程（{count}户）",
        ),
    )
    problem = (
        f"经住建部门鉴定，全村有C级、D级危房{count}户，多为上世纪建造的土坯房、木结构房屋，"
        "墙体开裂、屋面漏雨，住户多为贫困户、五保户和残疾人家庭，自身无力改造。"
    )
    build = (
        f"其中D级危房{rebuild}户拆除重建，每户建筑面积控制在{rng.choice((40, 60, 80))}平方米以内；"
        f"C级危房{repair}户维修加固。"
    )
    budget = (
        f"按D级每户{budget_text(items[0].unit_value_fen)}、C级每户"
        f"{budget_text(items[1].unit_value_fen)}的补助标准测算，需资金{budget_text(target)}。"
    )
    benefit = f"项目实施后，{count}户{people}人将告别危房，住上安全住房。"
    return NeedText(
        title,
        v.background() + problem + build + budget + benefit,
        target,
        items,
        households,
        people,
    )


_LIVESTOCK = (
    # (animal, item, unit, price range 元, count range)
    ("肉牛", "能繁母牛", "头", (8000, 12_000), (20, 60)),
    ("山羊", "种羊", "只", (1200, 2000), (100, 400)),
    ("生猪", "仔猪", "头", (600, 900), (200, 600)),
    ("中蜂", "标准蜂箱及蜂群", "箱", (600, 900), (150, 500)),
    ("林下土鸡", "鸡苗", "只", (8, 15), (3000, 10_000)),
)
_CROPS = (
    # (crop, item, unit, price range 元, per 亩)
    ("茶叶", "茶苗", "株", (1, 2), 3000),
    ("花椒", "花椒苗", "株", (2, 4), 110),
    ("核桃", "嫁接核桃苗", "株", (10, 18), 15),
    ("中药材", "中药材种苗", "公斤", (20, 40), 30),
    ("猕猴桃", "猕猴桃苗", "株", (8, 15), 60),
)


def _industry(v: _Village) -> NeedText:
    rng = v.rng
    households = max(10, round(v.poor_households * rng.uniform(0.3, 0.9)))
    people = min(v.people, round(households * rng.uniform(3.0, 4.0)))
    coop = f"{v.village.removesuffix('村')}{v.pick(('种养殖', '农牧', '生态农业'))}专业合作社"
    if rng.random() < 0.5:
        animal, item, unit, (low, high), (qmin, qmax) = rng.choice(_LIVESTOCK)
        quantity = rng.randint(qmin, qmax)
        area = rng.randrange(300, 1501, 50)
        items = [NeedItemText(item, quantity, unit, _yuan(rng, low, high))]
        items_fen, target = _items_budget(items, area * _yuan(rng, 200, 350, 10))
        title = _title(
            v,
            (
                f"{v.village}{animal}养殖合作社扩建项目",
                f"{v.village}{animal}养殖小区建设（带动{households}户）",
                f"{v.village}标准化{animal}养殖场建设",
            ),
        )
        build = (
            f"项目新建标准化圈舍{area}平方米，购进{item}{quantity}{unit}，"
            f"发展{animal}养殖，配套建设饲草料加工和粪污处理设施。"
        )
    else:
        crop, item, unit, (low, high), per_mu = rng.choice(_CROPS)
        # Cap the area so seedlings + works stay within the category's range (tea: ~130 亩).
        most_mu = min(400, 900_000 // (per_mu * high + 800))
        mu = rng.randrange(50, most_mu + 1, 10)
        items = [NeedItemText(item, mu * per_mu, unit, _yuan(rng, low, high))]
        items_fen, target = _items_budget(items, mu * _yuan(rng, 300, 800, 10))
        title = _title(
            v,
            (
                f"{v.village}{crop}种植基地建设（{mu}亩）",
                f"{v.village}{crop}产业扶贫项目",
                f"{v.township}{v.village}{crop}标准化种植示范基地",
            ),
        )
        build = (
            f"项目流转土地{mu}亩，建设{crop}标准化种植基地，购置{item}，"
            "配套建设灌溉设施和生产便道，由合作社统一管护、统一销售。"
        )
    target = max(target, BUDGET_RANGE_FEN["industry"][0])
    problem = (
        f"{v.village}群众收入主要依靠外出务工和传统种植，缺乏稳定增收的产业。"
        f"村里成立了{coop}，已有{rng.randint(20, 80)}户入社，但规模小、设施简陋。"
    )
    budget = (
        f"项目预算{budget_text(target)}，其中种苗（畜禽）购置{budget_text(items_fen)}，"
        f"基础设施建设{budget_text(target - items_fen)}。"
    )
    benefit = (
        f"项目采取“合作社+贫困户”模式，带动{households}户{people}人入股分红，"
        f"户均年增收约{rng.randrange(1500, 4001, 100)}元。"
    )
    return NeedText(
        title,
        v.background() + problem + build + budget + benefit,
        target,
        items,
        households,
        people,
    )


def _tourism(v: _Village) -> NeedText:
    rng = v.rng
    homestays = rng.randint(3, 12)
    rooms = homestays * rng.randint(3, 5)
    park_m2 = rng.randrange(300, 1501, 100)
    walk_m = rng.randrange(300, 2001, 100)
    items = [NeedItemText("客房家具及床品", rooms, "套", _yuan(rng, 2500, 5000, 100))]
    works = homestays * _yuan(rng, 30_000, 70_000, 1000) + park_m2 * _yuan(rng, 80, 150, 5)
    items_fen, target = _items_budget(items, works + walk_m * _yuan(rng, 100, 200, 10))
    households, people = v.share(0.2, 0.6)
    feature = v.pick(
        (
            "成片的古民居",
            "百年古树群",
            "传统村落风貌",
            "梯田和溶洞景观",
            "少数民族传统建筑",
            "瀑布和峡谷",
        )
    )
    title = _title(
        v,
        (
            f"{v.village}闲置农房民宿改造（{homestays}套）",
            f"{v.village}乡村旅游游客服务设施建设",
            f"{v.village}乡村旅游基础设施配套项目",
            f"{v.village}特色民宿及农家乐提升改造",
        ),
    )
    problem = (
        f"{v.village}依山傍水，保留有{feature}，每年吸引周边游客前来观光，"
        "但缺少住宿、停车和游客服务设施，游客“来了留不下”，旅游收入难以惠及群众。"
    )
    build = (
        f"项目改造闲置农房{homestays}套为特色民宿（客房{rooms}间），配套建设停车场{park_m2}平方米、"
        f"观景步道{walk_m}米和旅游公厕1座。"
    )
    budget = (
        f"项目预算{budget_text(target)}，其中客房家具及床品{budget_text(items_fen)}，"
        f"房屋改造和配套设施{budget_text(target - items_fen)}。"
    )
    benefit = (
        f"民宿由村集体经济组织统一经营，优先吸纳贫困户就业，预计带动{households}户{people}人增收。"
    )
    return NeedText(
        title,
        v.background() + problem + build + budget + benefit,
        target,
        items,
        households,
        people,
    )


def _education(v: _Village) -> NeedText:
    rng = v.rng
    school = v.pick((f"{v.township}中心小学", f"{v.village}小学", f"{v.village}教学点"))
    students = rng.randint(40, 150) if school.endswith("教学点") else rng.randint(120, 600)
    left_behind = round(students * rng.uniform(0.3, 0.7))
    kind = v.pick(("kitchen", "desks", "multimedia", "dormitory", "library"))
    if kind == "kitchen":
        tables = -(-students // 6)
        area = rng.randrange(80, 151, 10)
        items = [
            NeedItemText("消毒柜", rng.randint(1, 3), "台", _yuan(rng, 3000, 6000, 100)),
            NeedItemText("冷藏柜", rng.randint(1, 2), "台", _yuan(rng, 4000, 8000, 100)),
            NeedItemText("不锈钢操作台", rng.randint(2, 6), "张", _yuan(rng, 800, 1500, 50)),
            NeedItemText("学生餐桌椅", tables, "套", _yuan(rng, 600, 1200, 50)),
        ]
        works = area * _yuan(rng, 500, 900, 10)  # with the equipment: 5万-30万元
        titles: tuple[str, ...] = (
            f"{school}食堂改造及设备购置",
            f"{school}学生食堂建设",
            f"{school}营养餐食堂改造",
        )
        problem = (
            "学校食堂由旧教室改建，面积狭小、设施陈旧，没有消毒和冷藏设备，"
            "学生只能在教室或操场就餐，营养改善计划难以落实。"
        )
        build = f"项目改造食堂{area}平方米，购置消毒柜、冷藏柜、不锈钢操作台，添置学生餐桌椅{tables}套。"
    elif kind == "desks":
        sets = min(students, rng.randrange(60, 401, 10))
        items = [NeedItemText("单人课桌椅", sets, "套", _yuan(rng, 250, 450, 10))]
        works = sets * _yuan(rng, 10, 30)
        titles = (f"{school}学生课桌椅更新（{sets}套）", f"{school}课桌椅购置")
        problem = "学校现有课桌椅使用已超过十五年，桌面开裂、高度不合适，部分学生两人挤用一张课桌。"
        build = f"项目为学校更换可调节高度的单人课桌椅{sets}套。"
    elif kind == "multimedia":
        classes = rng.randint(3, 12)
        items = [
            NeedItemText("交互式智能平板", classes, "台", _yuan(rng, 8000, 15_000, 100)),
            NeedItemText("学生电脑", rng.randint(20, 50), "台", _yuan(rng, 3000, 4500, 100)),
        ]
        works = classes * _yuan(rng, 1000, 3000, 100)
        titles = (f"{school}多媒体教室建设", f"{school}“班班通”及计算机教室建设")
        problem = "学校仍以黑板和粉笔教学，没有计算机教室，学生接触不到信息技术课程，无法共享优质教育资源。"
        build = f"项目为{classes}个教学班安装交互式智能平板，建设计算机教室1间。"
    elif kind == "dormitory":
        beds = min(students, rng.randrange(40, 201, 10))
        items = [
            NeedItemText("学生上下床", -(-beds // 2), "张", _yuan(rng, 800, 1200, 50)),
            NeedItemText("被褥", beds, "套", _yuan(rng, 200, 350, 10)),
        ]
        works = rng.randrange(100, 401, 10) * _yuan(rng, 400, 800, 10)
        titles = (f"{school}学生宿舍改造", f"{school}寄宿条件改善项目")
        problem = f"学校有{beds}名学生家离学校较远需要寄宿，现有宿舍拥挤，部分学生两人合睡一张床。"
        build = f"项目改造学生宿舍，购置上下床{-(-beds // 2)}张、被褥{beds}套。"
    else:
        books = rng.randrange(2000, 8001, 100)
        items = [
            NeedItemText("图书", books, "册", _yuan(rng, 20, 35)),
            NeedItemText("书架", books // 400, "个", _yuan(rng, 600, 1000, 50)),
        ]
        works = rng.randrange(40, 121, 10) * _yuan(rng, 300, 600, 10)
        titles = (f"{school}图书室建设", f"{school}图书室图书及设备购置")
        problem = "学校没有图书室，生均图书不足五册，且多为过时读物，学生课外阅读资源十分匮乏。"
        build = f"项目改造图书室1间，购置适合小学生阅读的图书{books}册及配套书架。"
    items_fen, target = _items_budget(items, works)
    people = students
    households = round(students * rng.uniform(0.7, 0.95))
    title = _title(v, titles)
    intro = (
        f"{school}位于{v.county}{v.township}{v.village}，现有学生{students}人，"
        f"其中留守儿童{left_behind}人、建档立卡贫困家庭学生{min(students, round(students * 0.3))}人。"
    )
    budget = (
        f"项目预算{budget_text(target)}，其中设备购置{budget_text(items_fen)}，"
        f"改造施工及运输安装{budget_text(target - items_fen)}。"
    )
    benefit = f"项目建成后，全校{students}名学生受益。"
    return NeedText(
        title, intro + problem + build + budget + benefit, target, items, households, people
    )


def _health(v: _Village) -> NeedText:
    rng = v.rng
    area = rng.randrange(60, 151, 10)
    items = [
        NeedItemText("诊疗床", rng.randint(2, 4), "张", _yuan(rng, 1500, 3000, 50)),
        NeedItemText("药品柜", rng.randint(2, 4), "组", _yuan(rng, 2000, 4000, 100)),
        NeedItemText("健康一体机", 1, "台", _yuan(rng, 15_000, 30_000, 500)),
        NeedItemText("心电图机", 1, "台", _yuan(rng, 10_000, 20_000, 500)),
        NeedItemText("电子血压计", rng.randint(2, 5), "台", _yuan(rng, 200, 500, 10)),
    ]
    items_fen, target = _items_budget(items, area * _yuan(rng, 800, 1500, 10))
    title = _title(
        v,
        (
            f"{v.village}村卫生室标准化建设",
            f"{v.village}卫生室医疗设备购置及用房改造",
            f"{v.township}{v.village}卫生室建设项目",
        ),
    )
    problem = v.pick(
        (
            f"{v.village}卫生室现租用村民房屋，面积仅{rng.randint(15, 30)}平方米，诊断室、治疗室、"
            f"药房未分开设置，缺少基本诊疗设备，村民看小病也要到{rng.randint(8, 30)}公里外的乡镇卫生院。",
            "村卫生室房屋建于上世纪八十年代，墙体开裂，设备只有听诊器和血压计，"
            "乡村医生无法开展基本公共卫生服务和家庭医生签约服务。",
        )
    )
    build = (
        f"项目新建村卫生室{area}平方米，按照诊断室、治疗室、药房、观察室“四室分开”的标准建设，"
        "配备诊疗床、药品柜、健康一体机、心电图机等设备。"
    )
    budget = (
        f"项目预算{budget_text(target)}，其中设备购置{budget_text(items_fen)}，"
        f"房屋建设{budget_text(target - items_fen)}。"
    )
    benefit = f"建成后全村{v.households}户{v.people}人可在村里看上病，慢性病患者可就近随访。"
    return NeedText(
        title,
        v.background() + problem + build + budget + benefit,
        target,
        items,
        v.households,
        v.people,
    )


def _culture(v: _Village) -> NeedText:
    rng = v.rng
    area = rng.randrange(100, 301, 10)
    square = rng.randrange(400, 1501, 50)
    equipment = rng.randint(8, 20)
    books = rng.randrange(1500, 3001, 100)
    items = [
        NeedItemText("室外健身器材", equipment, "件", _yuan(rng, 1500, 4000, 100)),
        NeedItemText("音响设备", 1, "套", _yuan(rng, 8000, 20_000, 500)),
        NeedItemText("农家书屋图书", books, "册", _yuan(rng, 20, 35)),
    ]
    items_fen, target = _items_budget(
        items, area * _yuan(rng, 800, 1400, 10) + square * _yuan(rng, 80, 150, 5)
    )
    title = _title(
        v,
        (
            f"{v.village}综合文化服务中心建设",
            f"{v.village}文化广场及健身器材配套",
            f"{v.village}村综合文化服务中心及农家书屋建设",
        ),
    )
    problem = (
        "村里没有开展文化活动的场所，农家书屋设在村委会办公室角落，"
        "群众农闲时没有去处，广场舞、民俗表演等活动只能在晒场上进行。"
    )
    build = (
        f"项目建设综合文化服务中心{area}平方米，设置农家书屋、文化活动室和广播室，配套文化广场"
        f"{square}平方米，安装健身器材{equipment}件，购置音响设备1套、图书{books}册。"
    )
    budget = (
        f"项目预算{budget_text(target)}，其中器材图书购置{budget_text(items_fen)}，"
        f"土建工程{budget_text(target - items_fen)}。"
    )
    benefit = f"项目建成后将服务全村{v.households}户{v.people}人。"
    return NeedText(
        title,
        v.background() + problem + build + budget + benefit,
        target,
        items,
        v.households,
        v.people,
    )


_PRODUCTS = (
    "茶叶", "核桃", "花椒", "土蜂蜜", "猕猴桃", "脐橙", "马铃薯", "高山蔬菜", "食用菌", "腊肉", "小米",
)  # fmt: skip


def _informatization(v: _Village) -> NeedText:
    rng = v.rng
    product = v.pick(_PRODUCTS)
    items = [
        NeedItemText("电脑", rng.randint(2, 5), "台", _yuan(rng, 3500, 6000, 100)),
        NeedItemText("打印机", 1, "台", _yuan(rng, 1200, 2500, 50)),
        NeedItemText("电子秤", rng.randint(2, 4), "台", _yuan(rng, 300, 800, 10)),
        NeedItemText("冷藏展示柜", rng.randint(1, 3), "台", _yuan(rng, 4000, 8000, 100)),
        NeedItemText("货架", rng.randint(4, 12), "组", _yuan(rng, 300, 700, 10)),
    ]
    area = rng.randrange(40, 121, 10)
    fibre_households = rng.randint(0, v.households)
    works = area * _yuan(rng, 300, 700, 10) + fibre_households * _yuan(rng, 200, 400, 10)
    items_fen, target = _items_budget(items, works)
    title = _title(
        v,
        (
            f"{v.village}村级电商服务站建设",
            f"{v.village}农村电商物流服务点建设",
            f"{v.village}电商扶贫服务站及光纤入户工程",
        ),
    )
    problem = (
        f"{v.village}盛产{product}，但交通不便、信息闭塞，农产品主要靠商贩上门收购，价格低、销路窄；"
        "村里至今没有快递收发点，部分村民组网络信号不稳定。"
    )
    fibre = f"并为{fibre_households}户完成光纤宽带入户，" if fibre_households else ""
    build = (
        f"项目建设村级电商服务站{area}平方米，配备电脑、打印机、电子秤和冷藏展示柜，"
        f"开设网店销售{product}等农特产品，提供快递收发、代购代缴服务，{fibre}"
        "同时对村里的电商带头人开展培训。"
    )
    budget = (
        f"项目预算{budget_text(target)}，其中设备购置{budget_text(items_fen)}，"
        f"站点装修及网络建设{budget_text(target - items_fen)}。"
    )
    benefit = f"服务站将覆盖全村{v.households}户{v.people}人，帮助贫困户把{product}卖出好价钱。"
    return NeedText(
        title,
        v.background() + problem + build + budget + benefit,
        target,
        items,
        v.households,
        v.people,
    )


def _other(v: _Village) -> NeedText:
    rng = v.rng
    kind = v.pick(("toilets", "waste"))
    if kind == "toilets":
        count = rng.randint(30, 200)
        items = [NeedItemText("农户卫生厕所改造补助", count, "户", _yuan(rng, 1500, 3000, 100))]
        items_fen, target = _items_budget(
            items, rng.randint(1, 2) * _yuan(rng, 60_000, 120_000, 1000)
        )
        households = count
        people = min(v.people, round(count * rng.uniform(3.0, 4.0)))
        title = _title(
            v,
            (
                f"{v.village}农户卫生厕所改造（{count}户）",
                f"{v.village}人居环境整治“厕所革命”项目",
            ),
        )
        problem = "村里大部分农户仍使用旱厕，蚊蝇滋生，雨季粪污外溢，影响饮用水源和群众健康。"
        build = f"项目为{count}户农户改建三格化粪池式卫生厕所，新建村级公共厕所。"
    else:
        bins = rng.randrange(40, 201, 10)
        items = [
            NeedItemText("分类垃圾桶", bins, "个", _yuan(rng, 200, 400, 10)),
            NeedItemText("垃圾清运车", rng.randint(1, 2), "辆", _yuan(rng, 30_000, 80_000, 1000)),
        ]
        items_fen, target = _items_budget(items, rng.randint(2, 6) * _yuan(rng, 8000, 15_000, 500))
        households, people = v.households, v.people
        title = _title(
            v,
            (
                f"{v.village}垃圾收集转运设施建设",
                f"{v.village}人居环境整治项目",
                f"{v.township}{v.village}农村生活垃圾治理",
            ),
        )
        problem = "村里没有垃圾收集点，生活垃圾随意堆放在路边和河沟，夏季臭气熏天，污染河道。"
        build = (
            f"项目建设垃圾收集池，配置分类垃圾桶{bins}个、垃圾清运车，建立“户分类、村收集”机制。"
        )
    budget = (
        f"项目预算{budget_text(target)}，其中设备及补助{budget_text(items_fen)}，"
        f"土建施工{budget_text(target - items_fen)}。"
    )
    benefit = f"项目实施后可改善{households}户{people}人的居住环境。"
    return NeedText(
        title,
        v.background() + problem + build + budget + benefit,
        target,
        items,
        households,
        people,
    )


_BUILDERS: dict[str, Callable[[_Village], NeedText]] = {
    "roads": _roads,
    "drinking_water": _drinking_water,
    "electricity": _electricity,
    "housing": _housing,
    "industry": _industry,
    "tourism": _tourism,
    "education": _education,
    "health": _health,
    "culture": _culture,
    "informatization": _informatization,
    "other": _other,
}


def need_text(
    category: str, *, county: str, township: str, village: str, rng: random.Random
) -> NeedText:
    """Title, description, budget, items and beneficiaries of a demo need in ``category``.

    ``county``, ``township`` and ``village`` are the names as they should appear in the text (e.g.
    "平山县", "下口镇", "石门村"). Raises KeyError for an unknown category code.
    """
    builder = _BUILDERS[category]
    return builder(_Village(rng, county, township, village))
