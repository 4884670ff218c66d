"""Demo need texts for infrastructure: village roads, drinking water, electricity, housing."""

from __future__ import annotations

from fupin.core.money import budget_text
from fupin.demo.rules.common import (
    NeedItemText,
    NeedText,
    Village,
    items_budget,
    random_yuan,
    title_of,
)


def _roads(v: Village) -> NeedText:
    rng = v.rng
    tenths_km = rng.randint(8, 50)
    km = f"{tenths_km // 10}.{tenths_km % 10}".removesuffix(".0")
    per_km_fen = random_yuan(rng, 400_000, 600_000, 10_000)
    target = tenths_km * per_km_fen // 10
    width = v.pick(("3.5", "4.5"))
    first_group = rng.randint(1, max(1, v.groups - 2))
    groups = f"{first_group}至{min(v.groups, first_group + rng.randint(1, 3))}组"
    households, people = v.share(0.3, 0.8)
    title = title_of(
        v,
        (
            f"{v.village}通组道路硬化工程（{km}公里）",
            f"{v.village}{groups}通组公路硬化",
            f"{v.village}通村路拓宽硬化工程（{km}公里）",
            f"{v.township}{v.village}村组道路硬化项目",
            f"{v.village}产业路硬化（{km}公里）",
            f"{v.county}{v.township}{v.village}通组道路硬化工程（{km}公里）",
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


def _drinking_water(v: Village) -> NeedText:
    rng = v.rng
    households, people = v.share(0.5, 1.0)
    pipe_m = rng.randrange(2000, 10_001, 100)
    tank_m3 = rng.choice((50, 80, 100, 150, 200, 300))
    items = [
        NeedItemText("PE供水管道", pipe_m, "米", random_yuan(rng, 15, 40)),
        NeedItemText("净化消毒设备", 1, "套", random_yuan(rng, 15_000, 40_000, 500)),
        NeedItemText("入户水表", households, "个", random_yuan(rng, 120, 200, 10)),
    ]
    tank_fen = tank_m3 * random_yuan(rng, 600, 1000, 50)
    items_fen, target = items_budget(items, tank_fen + pipe_m * random_yuan(rng, 5, 12))
    title = title_of(
        v,
        (
            f"{v.village}集中供水工程管网延伸",
            f"{v.village}安全饮水巩固提升工程",
            f"{v.village}人畜饮水工程（蓄水池{tank_m3}立方米）",
            f"{v.village}自来水入户工程",
            f"{v.county}{v.township}{v.village}饮水安全巩固提升工程",
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


def _electricity(v: Village) -> NeedText:
    rng = v.rng
    kind = v.pick(("grid", "solar_power", "street_lights"))
    households, people = v.share(0.6, 1.0)
    if kind == "grid":
        transformers = rng.randint(1, 3)
        line_km = rng.randint(2, 8)
        items = [
            NeedItemText("变压器", transformers, "台", random_yuan(rng, 50_000, 120_000, 1000)),
            NeedItemText("智能电表", households, "只", random_yuan(rng, 300, 500, 10)),
        ]
        items_fen, target = items_budget(items, line_km * random_yuan(rng, 80_000, 150_000, 1000))
        title = title_of(
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
            NeedItemText("光伏组件（450瓦）", panels, "块", random_yuan(rng, 550, 750, 10)),
            NeedItemText("并网逆变器", -(-kw // 50), "台", random_yuan(rng, 10_000, 15_000, 500)),
        ]
        items_fen, target = items_budget(items, kw * random_yuan(rng, 1500, 2200, 50))
        title = title_of(
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
        items = [NeedItemText("太阳能路灯", lamps, "盏", random_yuan(rng, 2800, 4500, 50))]
        items_fen, target = items_budget(items, lamps * random_yuan(rng, 300, 600, 10))
        title = title_of(
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


def _housing(v: Village) -> NeedText:
    rng = v.rng
    rebuild = rng.randint(2, 20)
    repair = rng.randint(3, 20)
    count = rebuild + repair
    items = [
        NeedItemText("D级危房拆除重建补助", rebuild, "户", random_yuan(rng, 30_000, 45_000, 1000)),
        NeedItemText("C级危房维修加固补助", repair, "户", random_yuan(rng, 10_000, 20_000, 1000)),
    ]
    _, target = items_budget(items, 0)
    households = count
    people = rng.randint(count * 2, count * 4)
    title = title_of(
        v,
        (
            f"{v.village}危房改造（{count}户）",
            f"{v.village}农村危房改造及抗震加固项目（{count}户）",
            f"{v.village}贫困户住房安全保障工程（{count}户）",
            f"{v.county}{v.township}{v.village}农村危房改造（{count}户）",
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
