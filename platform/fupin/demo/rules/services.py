"""Demo need texts for public services: education, health, culture, informatisation and other."""

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


def _education(v: Village) -> NeedText:
    rng = v.rng
    school = v.pick((f"{v.township}中心小学", f"{v.village}小学", f"{v.village}教学点"))
    students = rng.randint(40, 150) if school.endswith("教学点") else rng.randint(120, 600)
    left_behind = round(students * rng.uniform(0.3, 0.7))
    kind = v.pick(("kitchen", "desks", "multimedia", "dormitory", "library"))
    if kind == "kitchen":
        tables = -(-students // 6)
        area = rng.randrange(80, 151, 10)
        items = [
            NeedItemText("消毒柜", rng.randint(1, 3), "台", random_yuan(rng, 3000, 6000, 100)),
            NeedItemText("冷藏柜", rng.randint(1, 2), "台", random_yuan(rng, 4000, 8000, 100)),
            NeedItemText("不锈钢操作台", rng.randint(2, 6), "张", random_yuan(rng, 800, 1500, 50)),
            NeedItemText("学生餐桌椅", tables, "套", random_yuan(rng, 600, 1200, 50)),
        ]
        works = area * random_yuan(rng, 500, 900, 10)  # with the equipment: 5万-30万元
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
        items = [NeedItemText("单人课桌椅", sets, "套", random_yuan(rng, 250, 450, 10))]
        works = sets * random_yuan(rng, 10, 30)
        titles = (f"{school}学生课桌椅更新（{sets}套）", f"{school}课桌椅购置")
        problem = "学校现有课桌椅使用已超过十五年，桌面开裂、高度不合适，部分学生两人挤用一张课桌。"
        build = f"项目为学校更换可调节高度的单人课桌椅{sets}套。"
    elif kind == "multimedia":
        classes = rng.randint(3, 12)
        items = [
            NeedItemText("交互式智能平板", classes, "台", random_yuan(rng, 8000, 15_000, 100)),
            NeedItemText("学生电脑", rng.randint(20, 50), "台", random_yuan(rng, 3000, 4500, 100)),
        ]
        works = classes * random_yuan(rng, 1000, 3000, 100)
        titles = (f"{school}多媒体教室建设", f"{school}“班班通”及计算机教室建设")
        problem = "学校仍以黑板和粉笔教学，没有计算机教室，学生接触不到信息技术课程，无法共享优质教育资源。"
        build = f"项目为{classes}个教学班安装交互式智能平板，建设计算机教室1间。"
    elif kind == "dormitory":
        beds = min(students, rng.randrange(40, 201, 10))
        items = [
            NeedItemText("学生上下床", -(-beds // 2), "张", random_yuan(rng, 800, 1200, 50)),
            NeedItemText("被褥", beds, "套", random_yuan(rng, 200, 350, 10)),
        ]
        works = rng.randrange(100, 401, 10) * random_yuan(rng, 400, 800, 10)
        titles = (f"{school}学生宿舍改造", f"{school}寄宿条件改善项目")
        problem = f"学校有{beds}名学生家离学校较远需要寄宿，现有宿舍拥挤，部分学生两人合睡一张床。"
        build = f"项目改造学生宿舍，购置上下床{-(-beds // 2)}张、被褥{beds}套。"
    else:
        books = rng.randrange(2000, 8001, 100)
        items = [
            NeedItemText("图书", books, "册", random_yuan(rng, 20, 35)),
            NeedItemText("书架", books // 400, "个", random_yuan(rng, 600, 1000, 50)),
        ]
        works = rng.randrange(40, 121, 10) * random_yuan(rng, 300, 600, 10)
        titles = (f"{school}图书室建设", f"{school}图书室图书及设备购置")
        problem = "学校没有图书室，生均图书不足五册，且多为过时读物，学生课外阅读资源十分匮乏。"
        build = f"项目改造图书室1间，购置适合小学生阅读的图书{books}册及配套书架。"
    items_fen, target = items_budget(items, works)
    people = students
    households = round(students * rng.uniform(0.7, 0.95))
    title = title_of(v, titles)
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


def _health(v: Village) -> NeedText:
    rng = v.rng
    area = rng.randrange(60, 151, 10)
    items = [
        NeedItemText("诊疗床", rng.randint(2, 4), "张", random_yuan(rng, 1500, 3000, 50)),
        NeedItemText("药品柜", rng.randint(2, 4), "组", random_yuan(rng, 2000, 4000, 100)),
        NeedItemText("健康一体机", 1, "台", random_yuan(rng, 15_000, 30_000, 500)),
        NeedItemText("心电图机", 1, "台", random_yuan(rng, 10_000, 20_000, 500)),
        NeedItemText("电子血压计", rng.randint(2, 5), "台", random_yuan(rng, 200, 500, 10)),
    ]
    items_fen, target = items_budget(items, area * random_yuan(rng, 800, 1500, 10))
    title = title_of(
        v,
        (
            f"{v.village}村卫生室标准化建设",
            f"{v.village}卫生室医疗设备购置及用房改造",
            f"{v.township}{v.village}卫生室建设项目",
            f"{v.county}{v.township}{v.village}卫生室医疗设备购置",
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


def _culture(v: Village) -> NeedText:
    rng = v.rng
    area = rng.randrange(100, 301, 10)
    square = rng.randrange(400, 1501, 50)
    equipment = rng.randint(8, 20)
    books = rng.randrange(1500, 3001, 100)
    items = [
        NeedItemText("室外健身器材", equipment, "件", random_yuan(rng, 1500, 4000, 100)),
        NeedItemText("音响设备", 1, "套", random_yuan(rng, 8000, 20_000, 500)),
        NeedItemText("农家书屋图书", books, "册", random_yuan(rng, 20, 35)),
    ]
    items_fen, target = items_budget(
        items, area * random_yuan(rng, 800, 1400, 10) + square * random_yuan(rng, 80, 150, 5)
    )
    title = title_of(
        v,
        (
            f"{v.village}综合文化服务中心建设",
            f"{v.village}文化广场及健身器材配套",
            f"{v.village}村综合文化服务中心及农家书屋建设",
            f"{v.county}{v.village}文化广场建设",
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


def _informatization(v: Village) -> NeedText:
    rng = v.rng
    product = v.pick(_PRODUCTS)
    items = [
        NeedItemText("电脑", rng.randint(2, 5), "台", random_yuan(rng, 3500, 6000, 100)),
        NeedItemText("打印机", 1, "台", random_yuan(rng, 1200, 2500, 50)),
        NeedItemText("电子秤", rng.randint(2, 4), "台", random_yuan(rng, 300, 800, 10)),
        NeedItemText("冷藏展示柜", rng.randint(1, 3), "台", random_yuan(rng, 4000, 8000, 100)),
        NeedItemText("货架", rng.randint(4, 12), "组", random_yuan(rng, 300, 700, 10)),
    ]
    area = rng.randrange(40, 121, 10)
    fibre_households = rng.randint(0, v.households)
    works = area * random_yuan(rng, 300, 700, 10) + fibre_households * random_yuan(
        rng, 200, 400, 10
    )
    items_fen, target = items_budget(items, works)
    title = title_of(
        v,
        (
            f"{v.village}村级电商服务站建设",
            f"{v.village}农村电商物流服务点建设",
            f"{v.village}电商扶贫服务站及光纤入户工程",
            f"{v.county}{v.township}{v.village}电商服务站建设",
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


def _other(v: Village) -> NeedText:
    rng = v.rng
    kind = v.pick(("toilets", "waste"))
    if kind == "toilets":
        count = rng.randint(30, 200)
        items = [
            NeedItemText("农户卫生厕所改造补助", count, "户", random_yuan(rng, 1500, 3000, 100))
        ]
        items_fen, target = items_budget(
            items, rng.randint(1, 2) * random_yuan(rng, 60_000, 120_000, 1000)
        )
        households = count
        people = min(v.people, round(count * rng.uniform(3.0, 4.0)))
        title = title_of(
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
            NeedItemText("分类垃圾桶", bins, "个", random_yuan(rng, 200, 400, 10)),
            NeedItemText(
                "垃圾清运车", rng.randint(1, 2), "辆", random_yuan(rng, 30_000, 80_000, 1000)
            ),
        ]
        items_fen, target = items_budget(
            items, rng.randint(2, 6) * random_yuan(rng, 8000, 15_000, 500)
        )
        households, people = v.households, v.people
        title = title_of(
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
