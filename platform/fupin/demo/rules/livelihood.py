"""Demo need texts for livelihoods: specialty industries and rural tourism."""

from __future__ import annotations

from fupin.core.money import budget_text
from fupin.demo.rules.common import (
    BUDGET_RANGE_FEN,
    NeedItemText,
    NeedText,
    Village,
    items_budget,
    random_yuan,
    title_of,
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


def _industry(v: Village) -> NeedText:
    rng = v.rng
    households = max(10, round(v.poor_households * rng.uniform(0.3, 0.9)))
    people = min(v.people, round(households * rng.uniform(3.0, 4.0)))
    coop = f"{v.village.removesuffix('村')}{v.pick(('种养殖', '农牧', '生态农业'))}专业合作社"
    if rng.random() < 0.5:
        animal, item, unit, (low, high), (qmin, qmax) = rng.choice(_LIVESTOCK)
        quantity = rng.randint(qmin, qmax)
        area = rng.randrange(300, 1501, 50)
        items = [NeedItemText(item, quantity, unit, random_yuan(rng, low, high))]
        items_fen, target = items_budget(items, area * random_yuan(rng, 200, 350, 10))
        title = title_of(
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
        items = [NeedItemText(item, mu * per_mu, unit, random_yuan(rng, low, high))]
        items_fen, target = items_budget(items, mu * random_yuan(rng, 300, 800, 10))
        title = title_of(
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


def _tourism(v: Village) -> NeedText:
    rng = v.rng
    homestays = rng.randint(3, 12)
    rooms = homestays * rng.randint(3, 5)
    park_m2 = rng.randrange(300, 1501, 100)
    walk_m = rng.randrange(300, 2001, 100)
    items = [NeedItemText("客房家具及床品", rooms, "套", random_yuan(rng, 2500, 5000, 100))]
    works = homestays * random_yuan(rng, 30_000, 70_000, 1000) + park_m2 * random_yuan(
        rng, 80, 150, 5
    )
    items_fen, target = items_budget(items, works + walk_m * random_yuan(rng, 100, 200, 10))
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
    title = title_of(
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
