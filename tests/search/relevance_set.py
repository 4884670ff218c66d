"""A hard relevance set: needs written the way counties write them, queries the way donors type
them, and graded judgements made by reading the needs — run against the whole demo corpus (2,000
generated needs, ``fupin.demo.rules.corpus``) with these needs added, so every query competes
with realistic noise.

Judgements, per query:

* ``must`` (gain 3): needs of this set that answer the query; each must be in the top 10.
* ``should`` (gain 2): needs of this set that answer it too, ranked anywhere.
* ``must_not``: needs of this set that only look like answers (a 饮水器 in a pig farm, a school
  in 贵州 whose text mentions 云南); none may be in the top 10.
* ``where`` (gain 1): what any relevant need looks like, for the demo needs no one can judge one
  by one (a water need in 甘肃, any need of 凉山州): at least 8 of the top 10 hits must be such.

A query passes when every judgement it has holds. nDCG@10 uses the gains above, against the
ideal order of every judged need in the corpus. ``python -m tests.search.relevance_set`` prints
the figures and every query that fails.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from fupin import REPO_ROOT
from fupin.core.categories import CATEGORIES
from fupin.demo.rules.corpus import demo_documents
from fupin.search.rules.documents import amount_band
from fupin.search.rules.settings_data import default_settings

#: The demo's default size (``fupin demo``).
DEMO_NEEDS = 2_000
FIRST_OWN_ID = 900_001
TOP = 10
WHERE_SHARE = 0.8
GAIN_MUST, GAIN_SHOULD, GAIN_WHERE = 3, 2, 1

# county code -> (province, prefecture, county, contiguous area): real, from poverty_counties.csv
COUNTIES: dict[str, tuple[str, str, str, str]] = {
    "513431": ("四川省", "凉山彝族自治州", "昭觉县", ""),
    "513429": ("四川省", "凉山彝族自治州", "布拖县", ""),
    "513436": ("四川省", "凉山彝族自治州", "美姑县", ""),
    "513432": ("四川省", "凉山彝族自治州", "喜德县", ""),
    "513328": ("四川省", "甘孜藏族自治州", "甘孜县", "四省藏区"),
    "522634": ("贵州省", "黔东南苗族侗族自治州", "雷山县", ""),
    "522633": ("贵州省", "黔东南苗族侗族自治州", "从江县", ""),
    "520526": ("贵州省", "毕节市", "威宁彝族回族苗族自治县", ""),
    "520423": ("贵州省", "安顺市", "镇宁布依族苗族自治县", ""),
    "532627": ("云南省", "文山壮族苗族自治州", "广南县", ""),
    "532624": ("云南省", "文山壮族苗族自治州", "麻栗坡县", ""),
    "530627": ("云南省", "昭通市", "镇雄县", ""),
    "533301": ("云南省", "怒江傈僳族自治州", "泸水市", ""),
    "620422": ("甘肃省", "白银市", "会宁县", ""),
    "622926": ("甘肃省", "临夏回族自治州", "东乡族自治县", ""),
    "451229": ("广西壮族自治区", "河池市", "大化瑶族自治县", ""),
    "540222": ("西藏自治区", "日喀则市", "江孜县", "西藏区"),
    "540423": ("西藏自治区", "林芝市", "墨脱县", "西藏区"),
    "653126": ("新疆维吾尔自治区", "喀什地区", "叶城县", "新疆南疆三地州"),
    "610925": ("陕西省", "安康市", "岚皋县", ""),
    "500240": ("重庆市", "重庆市", "石柱土家族自治县", ""),
    "422823": ("湖北省", "恩施土家族苗族自治州", "巴东县", ""),
    "410225": ("河南省", "开封市", "兰考县", ""),
}


@dataclass(frozen=True)
class Need:
    key: str
    county: str  # county code
    township: str  # real township of the county
    village: str  # invented
    category: str
    title: str
    description: str
    items: str = ""
    state: str = "published"
    target_yuan: int = 200_000


# The set's own needs, written as a county poverty office writes them (invented villages and
# facts, real counties and townships).
NEEDS: list[Need] = [
    Need("W1", "513431", "竹核镇", "火普村", "drinking_water",
         "昭觉县竹核镇火普村人饮工程管网延伸及蓄水池建设",
         "火普村位于竹核镇东部，海拔2300米，全村4个村民小组186户812人。村里现有的两口水井水量"
         "不足，旱季群众要到3公里外背水。项目新建100立方米蓄水池1座，铺设入户管道4.6公里，安装"
         "净化消毒设备1套，解决186户群众的饮水安全问题。",
         "PE给水管 净化消毒设备 入户水表", target_yuan=420_000),
    Need("W2", "522634", "西江镇", "控拜村", "drinking_water", "控拜村集中供水工程",
         "控拜村是苗族银匠村，群众分散居住在三面山坡上，原有引水管道为2009年铺设，老化破裂，每年"
         "冬春季断水两个月。计划从5公里外的山泉引水，新建蓄水池两座，改造管网3.8公里，让全村213户"
         "群众喝上稳定的自来水。",
         "镀锌钢管 PE管 闸阀", target_yuan=560_000),
    Need("W3", "620422", "郭城驿镇", "新堡子村", "drinking_water",
         "会宁县郭城驿镇新堡子村水窖维修及净水设备配置",
         "新堡子村年降雨量不足300毫米，群众祖辈靠水窖储存雨水生活。全村现有水窖312眼，其中126眼"
         "出现裂缝渗漏。项目维修水窖126眼，为每户配备家用净水器，改善群众饮用水水质。",
         "家用净水器 防渗材料", target_yuan=380_000),
    Need("W4", "622926", "锁南镇", "沙塄村", "drinking_water", "锁南镇沙塄村自来水入户改造",
         "沙塄村地处黄土高原干旱山区，虽已通自来水，但入户管道多为村民自行铺设的劣质软管，冬季"
         "冻裂频繁，一冻就是半个月没水。项目对248户入户管道进行改造，更换为防冻保温管，并为每户"
         "安装水表井。",
         "防冻保温管 水表井", target_yuan=310_000),
    Need("S1", "530627", "泼机镇", "泼机村", "education", "泼机镇中心校学生食堂改扩建",
         "泼机镇中心校是全镇唯一一所寄宿制完全小学，现有学生1420人，其中寄宿生860人。学校食堂建于"
         "1998年，面积仅180平方米，学生分三批就餐，排队时间长，冬天饭菜易凉。项目扩建食堂260平方"
         "米，购置蒸饭柜、消毒柜和餐桌椅，让全校学生吃上热乎饭。",
         "蒸饭柜 消毒柜 餐桌椅", target_yuan=780_000),
    Need("S2", "532627", "八宝镇", "坝美村", "education", "坝美村小学学生宿舍床铺及被褥购置",
         "坝美村小学有寄宿学生96人，目前两人挤一张床，部分被褥已使用五年以上。为学生购置上下铺"
         "铁床48张、床垫和被褥96套，改善住宿条件。",
         "上下铺铁床 床垫 被褥", target_yuan=86_000),
    Need("S3", "513436", "巴普镇", "依果觉村", "education", "依果觉村教学点课桌椅和取暖设备",
         "依果觉村教学点是全村孩子读一至三年级的地方，有学生54人、老师两名。教室里的课桌椅破旧，"
         "冬季气温低至零下，没有取暖设备，孩子们冻得握不住笔。项目购置单人课桌椅60套和电暖器6台。",
         "单人课桌椅 电暖器", target_yuan=42_000),
    Need("S4", "522634", "丹江镇", "乌东村", "education", "雷山县丹江镇乌东村幼儿园户外活动场地建设",
         "乌东村幼儿园在园幼儿72名，园内没有户外活动场地，孩子们只能在教室里活动。项目硬化并铺设"
         "塑胶地面400平方米，安装大型组合滑梯一套。",
         "塑胶地面 组合滑梯", target_yuan=150_000),
    Need("S5", "451229", "都阳镇", "加奉村", "education", "都阳镇加奉小学图书室建设",
         "加奉小学是一所村完小，有学生215人，其中瑶族学生占八成。学校没有图书室，项目改造一间"
         "教室为图书室，购置图书3000册和书架、阅览桌。",
         "图书 书架 阅览桌", target_yuan=95_000),
    Need("H1", "513429", "拖觉镇", "瓦都村", "health", "瓦都村卫生室诊疗设备购置",
         "瓦都村卫生室服务全村及周边两个村的1800余名群众，现有诊疗床、药品柜都是十多年前配备的，"
         "没有心电图机和血糖仪，村医只能凭经验看病。项目购置诊疗床2张、心电图机1台、血糖仪和"
         "血压计各2台、药品柜2组。",
         "诊疗床 心电图机 血糖仪 血压计 药品柜", target_yuan=68_000),
    Need("H2", "533301", "鲁掌镇", "三河村", "health", "鲁掌镇卫生院B超机购置",
         "鲁掌镇卫生院承担全镇1.2万人的基本医疗服务，孕产妇检查和腹部检查都要到60公里外的州医院。"
         "项目为卫生院购置便携式彩色B超机1台，并培训操作人员。",
         "便携式彩色B超机", target_yuan=260_000),
    Need("H3", "653126", "乌夏巴什镇", "托万村", "health", "乌夏巴什镇村医巡诊摩托车和急救箱",
         "乌夏巴什镇12个行政村的村医要给分散在戈壁边缘的牧民巡诊，最远的牧户距村卫生室18公里。"
         "为村医配备巡诊摩托车12辆、急救箱12个。",
         "巡诊摩托车 急救箱", target_yuan=120_000),
    Need("R1", "620422", "河畔镇", "王家堡村", "roads", "河畔镇王家堡村通村路硬化（5.2公里）",
         "王家堡村至河畔镇的5.2公里通村路是砂土路，下雨后泥泞不堪，学生上学要穿雨靴走一个半小时。"
         "项目将其硬化为4.5米宽水泥路，同步修建排水沟。",
         target_yuan=2_400_000),
    Need("R2", "500240", "西沱镇", "银杏村", "roads", "西沱镇银杏村产业路建设",
         "银杏村种植黄连和辣椒1200亩，但连接种植基地的2.8公里是土路，农用车进不去，采收时全靠人背。"
         "修建3.5米宽产业路2.8公里。",
         target_yuan=1_260_000),
    Need("R3", "422823", "沿渡河镇", "红岩村", "roads", "沿渡河镇红岩村便民桥建设",
         "红岩村被神农溪支流分成两半，两岸群众靠一座木板桥往来，汛期经常被冲毁，学生和老人过河"
         "十分危险。项目新建长28米、宽3米的钢筋混凝土便民桥一座。",
         target_yuan=900_000),
    Need("HO1", "513431", "城北镇", "谷莫村", "housing", "谷莫村土坯房改造",
         "谷莫村还有23户群众住在上世纪80年代建的土坯房里，墙体开裂，人畜混居，经住建部门鉴定为"
         "C级、D级危房。项目帮助23户拆除重建或加固改造，实现人畜分离。",
         target_yuan=1_150_000),
    Need("HO2", "622926", "河滩镇", "东塬村", "housing", "河滩镇东塬村农房抗震加固",
         "东塬村位于地震多发带，全村有41户农房为砖木结构，未设圈梁和构造柱，抗震能力差。对41户"
         "农房实施抗震加固，每户补助2万元。",
         target_yuan=820_000),
    Need("HO3", "513429", "特木里镇", "民主村", "housing",
         "布拖县特木里镇易地扶贫搬迁安置点公共服务配套",
         "特木里镇集中安置点已入住搬迁群众326户1540人，小区内缺少社区服务用房和儿童活动场地。"
         "项目建设社区服务中心一处，配置儿童游乐设施。",
         target_yuan=1_600_000),
    Need("I1", "522634", "郎德镇", "报德村", "industry", "报德村茶叶加工厂设备购置",
         "报德村有茶园1800亩，群众采摘的鲜叶只能低价卖给外地茶商。村集体计划建设一座小型茶叶加工厂，"
         "购置杀青机、揉捻机和烘干机，收购加工本村鲜叶，带动140户茶农增收。",
         "杀青机 揉捻机 烘干机", target_yuan=640_000),
    Need("I2", "610925", "佐龙镇", "马宗村", "industry", "岚皋县佐龙镇马宗村生猪养殖合作社圈舍改造",
         "马宗村生猪养殖合作社有社员58户，年出栏生猪1200头，现有圈舍为简易木棚，冬季保温差，疫病"
         "风险高。改造标准化圈舍1200平方米，配套粪污处理设施。",
         "漏缝地板 自动饮水器 粪污处理设备", target_yuan=720_000),
    Need("I3", "513328", "来马镇", "然柳村", "industry", "来马镇牦牛养殖合作社冷库建设",
         "然柳村牦牛养殖合作社存栏牦牛860头，牦牛肉集中在冬季宰杀，因没有冷库只能低价快速出售。"
         "建设200立方米冷库一座，延长销售期。",
         "制冷机组 保温板", target_yuan=450_000),
    Need("I4", "532624", "董干镇", "马崩村", "industry", "董干镇马崩村三七种植基地滴灌设施",
         "马崩村地处石漠化山区，种植三七和重楼400亩，靠天吃水，遇旱减产。建设滴灌设施400亩，"
         "配套蓄水池一座。",
         "滴灌带 过滤器", target_yuan=530_000),
    Need("T1", "522634", "西江镇", "羊排村", "tourism", "西江镇羊排村苗族民宿提升改造",
         "羊排村紧邻西江千户苗寨景区，全村有38户村民开办民宿，但卫生间、消防设施不达标，旺季游客"
         "评价不高。项目为38户民宿改造卫生间、配置消防器材。",
         "消防器材 卫浴设备", target_yuan=570_000),
    Need("T2", "500240", "悦崃镇", "新城村", "tourism", "悦崃镇新城村农家乐集中接待中心",
         "新城村发展康养避暑旅游，夏季接待重庆主城游客3万人次，但村里农家乐分散，缺少集中停车和"
         "接待场所。项目建设接待中心和停车场。",
         target_yuan=980_000),
    Need("E1", "610925", "城关镇", "东坡村", "informatization", "岚皋县农村电商服务站直播设备购置",
         "城关镇东坡村电商服务站帮助群众在网上销售魔芋、腊肉和富硒茶，去年线上销售额86万元。现有"
         "设备只有一部手机，计划购置直播补光灯、摄像设备和打包机，培训10名村民做直播带货。",
         "直播补光灯 摄像设备 打包机", target_yuan=58_000),
    Need("E2", "533301", "片马镇", "古浪村", "informatization", "片马镇古浪村宽带入户",
         "古浪村地处中缅边境高山峡谷，手机信号时有时无，全村没有通光纤，孩子上网课要爬到山顶。"
         "项目铺设光缆12公里，实现128户宽带入户。",
         "光缆 光猫", target_yuan=330_000),
    Need("P1", "540222", "纳如乡", "加琼村", "electricity", "纳如乡村级光伏电站",
         "纳如乡海拔4100米，日照充足。项目在村集体闲置土地上建设300千瓦村级光伏电站，年发电收益"
         "约25万元，收益用于村级公益岗位和困难户补助。",
         "光伏组件 逆变器 支架", target_yuan=1_500_000),
    Need("P2", "653126", "恰尔巴格镇", "英阿瓦提村", "electricity", "恰尔巴格镇主干道太阳能路灯安装",
         "村内主干道8公里没有路灯，夜间群众出行和学生上晚自习回家不安全。安装太阳能路灯160盏。",
         "太阳能路灯", target_yuan=480_000),
    Need("C1", "451229", "岩滩镇", "红日村", "culture", "岩滩镇红日村农家书屋",
         "红日村农家书屋藏书不足800册，多为十年前的旧书。为书屋补充图书2000册，配置电脑和阅览桌，"
         "开展留守儿童周末阅读活动。",
         "图书 电脑 阅览桌", target_yuan=60_000),
    Need("C2", "410225", "堌阳镇", "徐场村", "culture", "堌阳镇徐场村文化广场建设",
         "徐场村是民族乐器之乡，全村有乐器加工户260户，但村里没有文化活动场所。项目建设1500平方米"
         "文化广场，配置舞台和音响。",
         "舞台 音响", target_yuan=450_000),
    Need("O1", "410225", "南彰镇", "张庄村", "other", "南彰镇农村户厕改造",
         "南彰镇还有620户群众使用旱厕，夏季蚊蝇多，污染地下水。为620户改厕，建设三格式化粪池并"
         "安装水冲式蹲便器。",
         "三格式化粪池 蹲便器", target_yuan=930_000),
    Need("O2", "530627", "黑树镇", "新田村", "other", "黑树镇生活垃圾收集转运设施",
         "黑树镇各村生活垃圾随意倾倒在河沟边。项目建设垃圾收集池20个，配置垃圾桶500个、"
         "垃圾清运车2辆。",
         "垃圾桶 垃圾清运车", target_yuan=360_000),
    Need("O3", "520526", "开华街道", "幸福村", "other", "威宁县易地搬迁群众就业技能培训",
         "为安置点400名搬迁劳动力开展电工、焊工、家政服务技能培训，组织劳务输出到浙江宁波务工。",
         target_yuan=240_000),
    Need("O4", "620422", "头寨子镇", "牛营村", "other", "头寨子镇牛营村幸福院建设",
         "牛营村60岁以上老人占三成，子女外出务工，老人吃饭难。建设幸福院一处，提供日间照料和助餐"
         "服务。",
         "餐桌椅 床铺", target_yuan=380_000),
    Need("K1", "513436", "牛牛坝镇", "觉洛村", "education", "牛牛坝镇觉洛村留守儿童之家",
         "觉洛村有留守儿童118名，放学后无人看管。改造村委会闲置用房为留守儿童之家，配置图书、"
         "桌椅和文体器材，聘请两名辅导员。",
         "图书 桌椅 文体器材", target_yuan=88_000),
    Need("IR1", "620422", "太平店镇", "柳沟村", "industry", "太平店镇柳沟村提灌工程",
         "柳沟村地处干旱山区，1500亩耕地全靠天收。建设提灌站1座，铺设灌溉管道6公里，新增有效"
         "灌溉面积1500亩。",
         "水泵 灌溉管道", target_yuan=1_100_000),
    Need("X1", "513432", "光明镇", "小山村", "drinking_water",
         "喜德县光明镇小山村饮水安全巩固提升工程",
         "小山村现有供水设施建于2012年，水源水量季节性不足，全村172户群众旱季吃水困难。项目新建"
         "取水口1处，铺设管网3公里。",
         "PE给水管", target_yuan=260_000),
    Need("X2", "522633", "下江镇", "下江村", "education", "从江县下江镇中心小学食堂设备购置",
         "下江镇中心小学有寄宿生430人，食堂炊具陈旧，蒸饭设备容量不足。购置蒸饭柜、消毒柜和冷藏柜。",
         "蒸饭柜 消毒柜 冷藏柜", target_yuan=120_000),
    Need("X3", "540423", "帮辛乡", "根登村", "roads", "帮辛乡通村公路塌方路段修复",
         "帮辛乡通往根登村的公路雨季塌方12处，车辆无法通行，群众生活物资靠人背马驮。修复塌方路段"
         "并建设挡墙。",
         target_yuan=1_800_000),
    Need("X4", "520423", "扁担山镇", "石头寨村", "housing", "镇宁县扁担山镇石头寨村危房改造",
         "石头寨村是布依族古寨，有17户石板房年久失修，屋面漏雨、墙体开裂。对17户危房进行维修加固。",
         target_yuan=510_000),
    Need("X5", "532624", "天保镇", "天保村", "health", "天保镇卫生院远程诊疗系统建设",
         "天保镇卫生院与县医院相距90公里，疑难病人转诊难。建设远程诊疗系统，实现与县医院远程会诊。",
         "远程会诊设备", target_yuan=280_000),
    Need("X7", "522633", "丙妹镇", "岜沙村", "education", "岜沙小学学生营养餐厨房设备",
         "岜沙小学有学生320人。学习云南省营养改善计划的做法，为学校厨房购置冰柜、蒸饭柜和留样柜，"
         "保障学生营养餐。",
         "冰柜 蒸饭柜 留样柜", target_yuan=75_000),
    Need("X8", "513328", "甘孜镇", "斯俄村", "industry", "甘孜镇斯俄村青稞加工坊",
         "斯俄村种植青稞2200亩，村民自己磨糌粑效率低。建设青稞加工坊，购置脱粒机、炒制机和磨粉机。",
         "脱粒机 炒制机 磨粉机", target_yuan=350_000),
]  # fmt: skip

KEY = {need.key: FIRST_OWN_ID + i for i, need in enumerate(NEEDS)}


def _where(**match: str) -> Callable[[Mapping[str, Any]], bool]:
    """A need whose fields are these values (category, province, prefecture, county, township)."""

    def test(doc: Mapping[str, Any]) -> bool:
        return all(doc[k] == v for k, v in match.items())

    test.__doc__ = ", ".join(f"{k}={v}" for k, v in match.items())
    return test


@dataclass(frozen=True)
class Case:
    query: str
    must: tuple[str, ...] = ()
    should: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    where: Callable[[Mapping[str, Any]], bool] | None = None
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    kind: str = ""


def _cases() -> list[Case]:
    water, school, health = "drinking_water", "education", "health"
    c: list[Case] = []

    def add(kind: str, query: str, *must: str, **kw: Any) -> None:
        c.append(Case(query, must=must, kind=kind, **kw))

    # A place and a topic, two words.
    add("place+topic", "昭觉 饮水", "W1")
    add("place+topic", "昭觉县 人饮", "W1")
    add("place+topic", "凉山 饮水", "W1", should=("X1",))
    add("place+topic", "凉山州 饮水", "W1", should=("X1",))
    add("place+topic", "喜德 饮水", "X1")
    add("place+topic", "雷山 自来水", "W2")
    add("place+topic", "黔东南 供水", "W2")
    add("place+topic", "黔东南州 饮水", "W2")
    add("place+topic", "会宁 水窖", "W3")
    add("place+topic", "白银 水窖", "W3")
    add("place+topic", "东乡县 自来水", "W4")
    add("place+topic", "临夏 自来水入户", "W4")
    add("place+topic", "镇雄 食堂", "S1")
    add("place+topic", "昭通 小学 食堂", "S1")
    add("place+topic", "广南 宿舍", "S2")
    add("place+topic", "文山州 小学", "S2")
    add("place+topic", "美姑 课桌椅", "S3")
    add("place+topic", "凉山 教学点", "S3")
    add("place+topic", "雷山县 幼儿园", "S4")
    add("place+topic", "大化 图书室", "S5", should=("C1",))
    add("place+topic", "布拖 卫生室", "H1")
    add("place+topic", "凉山 诊疗床", "H1")
    add("place+topic", "泸水 B超", "H2")
    add("place+topic", "怒江 卫生院", "H2")
    add("place+topic", "叶城 村医", "H3")
    add("place+topic", "喀什 巡诊", "H3")
    add("place+topic", "会宁 通村路", "R1")
    add("place+topic", "石柱 产业路", "R2")
    add("place+topic", "巴东 便民桥", "R3")
    add("place+topic", "恩施 桥梁", "R3")
    add("place+topic", "昭觉 危房", "HO1")
    add("place+topic", "东乡 抗震", "HO2")
    add("place+topic", "布拖 搬迁安置", "HO3")
    add("place+topic", "雷山 茶叶", "I1")
    add("place+topic", "岚皋 养猪", "I2")
    add("place+topic", "甘孜 冷库", "I3")
    add("place+topic", "麻栗坡 滴灌", "I4")
    add("place+topic", "西江 民宿", "T1")
    add("place+topic", "石柱 农家乐", "T2")
    add("place+topic", "岚皋 电商", "E1")
    add("place+topic", "片马 宽带", "E2")
    add("place+topic", "江孜 光伏", "P1")
    add("place+topic", "叶城 路灯", "P2")
    add("place+topic", "兰考 文化广场", "C2")
    add("place+topic", "兰考 改厕", "O1")
    add("place+topic", "镇雄 垃圾", "O2")
    add("place+topic", "威宁 技能培训", "O3")
    add("place+topic", "会宁 幸福院", "O4")
    add("place+topic", "美姑 留守儿童", "K1")
    add("place+topic", "会宁 灌溉", "IR1")
    add("place+topic", "墨脱 公路", "X3")
    add("place+topic", "镇宁 危房", "X4")
    add("place+topic", "甘孜 青稞", "X8")
    # The word of the query is not in the need; a synonym is.
    add("synonym", "布拖 医疗", "H1")
    add("synonym", "麻栗坡 医疗", "X5")
    add("synonym", "泼机 学校", "S1")
    add("synonym", "古浪村 网络", "E2")
    add("synonym", "马宗村 养猪", "I2")
    add("synonym", "控拜村 饮水", "W2")
    add("synonym", "来马 保鲜库", "I3")
    add("synonym", "羊排村 客栈", "T1")
    add("synonym", "恰尔巴格 照明", "P2")
    add("synonym", "徐场村 文化活动室", "C2")
    add("synonym", "南彰 厕所", "O1")
    add("synonym", "黑树镇 保洁", "O2")
    add("synonym", "威宁 就业", "O3")
    add("synonym", "头寨子 养老", "O4")
    add("synonym", "牛牛坝 儿童之家", "K1")
    add("synonym", "谷莫村 危房改造", "HO1")
    add("synonym", "沿渡河 桥梁", "R3")
    add("synonym", "柳沟村 灌溉", "IR1")
    # Words only one need in the corpus uses (items, crops, trades).
    add("rare word", "B超", "H2")
    add("rare word", "心电图机", "H1")
    add("rare word", "杀青机", "I1")
    add("rare word", "直播带货", "E1")
    add("rare word", "蒸饭柜", "S1", should=("X2", "X7"))
    add("rare word", "三七", "I4")
    add("rare word", "黄连", "R2")
    add("rare word", "银匠", "W2")
    add("rare word", "乐器", "C2")
    add("rare word", "牦牛 冷库", "I3")
    add("rare word", "巡诊摩托车", "H3")
    add("rare word", "糌粑", "X8")
    # A word or two of a topic, no place: the topic's needs first, not look-alikes.
    topic = [
        ("饮水", water, ("I2", "I4")),
        ("医疗", health, ()),
        ("道路", "roads", ()),
        ("危房", "housing", ()),
        ("光伏", "electricity", ()),
        ("电商", "informatization", ()),
        ("民宿", "tourism", ()),
        ("卫生室", health, ()),
        ("小学", school, ()),
        ("自来水", water, ()),
        ("通村路", "roads", ()),
        ("宽带", "informatization", ()),
        ("幼儿园", school, ()),
        ("水窖", water, ()),
        ("饮水 工程", water, ("I2",)),
        ("小学 食堂", school, ()),
        ("道路 硬化", "roads", ()),
        ("危房 改造", "housing", ()),
        ("卫生室 设备", health, ()),
        ("修路", "roads", ()),
    ]
    for query, category, wrong in topic:
        add("topic", query, where=_where(category=category), must_not=wrong)
    # The category's own name, as the needs list shows it.
    for code in ("drinking_water", "education", "housing", "tourism", "culture", "roads"):
        add("category", str(CATEGORIES[code]), where=_where(category=code))
    add("category", "医疗卫生", where=_where(category=health))
    add("category", "特色产业", where=_where(category="industry"))
    # A place alone: its needs, and only its needs.
    for query, level, name in [
        ("昭觉", "county", "昭觉县"),
        ("凉山", "prefecture", "凉山彝族自治州"),
        ("凉山州", "prefecture", "凉山彝族自治州"),
        ("黔东南", "prefecture", "黔东南苗族侗族自治州"),
        ("黔东南州", "prefecture", "黔东南苗族侗族自治州"),
        ("怒江", "prefecture", "怒江傈僳族自治州"),
        ("临夏州", "prefecture", "临夏回族自治州"),
        ("甘孜州", "prefecture", "甘孜藏族自治州"),
        ("文山", "prefecture", "文山壮族苗族自治州"),
        ("恩施州", "prefecture", "恩施土家族苗族自治州"),
        ("威宁县", "county", "威宁彝族回族苗族自治县"),
        ("喀什", "prefecture", "喀什地区"),
        ("广西", "province", "广西壮族自治区"),
        ("新疆", "province", "新疆维吾尔自治区"),
    ]:
        add("place", query, where=_where(**{level: name}))
    add("place", "竹核", "W1", where=_where(township="竹核镇"))
    add("place", "西江镇", "W2", "T1", where=_where(township="西江镇"))
    # Two words of place and topic where the demo holds many answers too.
    add("place+topic", "凉山 小学", where=_where(prefecture="凉山彝族自治州", category=school))
    add("place+topic", "贵州 危房", where=_where(province="贵州省", category="housing"))
    add("place+topic", "云南 饮水", where=_where(province="云南省", category=water))
    add("place+topic", "甘肃 道路", where=_where(province="甘肃省", category="roads"))
    add("place+topic", "四川 卫生室", where=_where(province="四川省", category=health))
    # Filters chosen on the page, with a word.
    add("filter", "饮水", where=_where(province="甘肃省", category=water),
        filters={"province": ["甘肃省"]})  # fmt: skip
    add("filter", "小学", where=_where(province="云南省", category=school),
        filters={"province": ["云南省"]})  # fmt: skip
    add("filter", "设备", where=_where(category=health), filters={"category": [health]})
    # Long natural questions, as a donor types them.
    add("question", "我们公司想资助云南的小学", must_not=("X7",),
        where=_where(province="云南省", category=school))  # fmt: skip
    add("question", "想给凉山的孩子捐一些课桌椅", "S3")
    add("question", "帮助西藏的村子建光伏电站", "P1")
    add("question", "怒江州的卫生院需要B超吗", "H2")
    add("question", "资助新疆叶城的村医", "H3")
    add("question", "想为留守儿童捐图书", "K1", should=("C1",))
    add("question", "四川凉山的危房改造项目", "HO1",
        where=_where(prefecture="凉山彝族自治州", category="housing"))  # fmt: skip
    add("question", "贵州雷山的茶叶加工厂", "I1")
    add("question", "支持陕西岚皋的电商直播", "E1")
    add("question", "帮助凉山州的学校买课桌", "S3")
    add("question", "甘肃会宁哪些村吃水困难", "W3")
    add("question", "我想资助黔东南苗寨的民宿", "T1")
    add("question", "有没有重庆石柱的产业路项目", "R2")
    add("question", "兰考县的农村厕所改造", "O1")
    add("question", "给甘孜的牦牛合作社建冷库", "I3")
    add("question", "西藏墨脱的公路塌方修复", "X3")
    return c


CASES: list[Case] = _cases()


def own_documents() -> list[dict[str, Any]]:
    """The set's needs as search documents (fupin.search.rules.documents.FIELDS)."""
    settings = default_settings()
    deadline = date(2026, 12, 31)
    deadline_ts = int(datetime(2026, 12, 31, tzinfo=UTC).timestamp())
    docs = []
    for need in NEEDS:
        province, prefecture, county, area = COUNTIES[need.county]
        target = need.target_yuan * 100
        docs.append(
            {
                "id": KEY[need.key],
                "title": need.title,
                "description": need.description,
                "items": need.items,
                "category": need.category,
                "category_label": CATEGORIES[need.category],
                "state": need.state,
                "province": province,
                "province_code": need.county[:2] + "0000",
                "prefecture": prefecture,
                "county": county,
                "county_code": need.county,
                "township": need.township,
                "village": need.village,
                "contiguous_area": area,
                "is_poverty_county": True,
                "target_fen": target,
                "pledged_fen": 0,
                "received_fen": 0,
                "open_fen": target,
                "amount_band": amount_band(target, settings),
                "deadline": deadline.isoformat(),
                "deadline_ts": deadline_ts,
                "published_ts": deadline_ts - 200 * 86_400,
                "beneficiary_people": 400,
                "beneficiary_households": 100,
            }
        )
    return docs


@cache
def corpus() -> tuple[dict[str, Any], ...]:
    """The demo corpus at its default size, with the set's own needs added."""
    data = REPO_ROOT / "data"
    with (data / "poverty_counties.csv").open(encoding="utf-8") as fh:
        counties = list(csv.DictReader(fh))
    townships: dict[str, list[str]] = defaultdict(list)
    with (data / "townships.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            townships[row["county_code"]].append(row["name"])
    demo = list(demo_documents(DEMO_NEEDS, counties, townships, default_settings()))
    return (*demo, *own_documents())


@dataclass(frozen=True)
class Outcome:
    case: Case
    ranked: list[int]
    passed: bool
    ndcg: float
    why: str


def _gain(case: Case, doc: Mapping[str, Any]) -> int:
    ids = {
        KEY[k]: g for keys, g in ((case.should, GAIN_SHOULD), (case.must, GAIN_MUST)) for k in keys
    }
    if doc["id"] in ids:
        return ids[doc["id"]]
    if doc["id"] in {KEY[k] for k in case.must_not}:
        return 0
    return GAIN_WHERE if case.where is not None and case.where(doc) else 0


def judge(case: Case, ranked: Sequence[int], docs: Mapping[int, Mapping[str, Any]]) -> Outcome:
    top = list(ranked[:TOP])
    reasons = []
    for key in case.must:
        if KEY[key] not in ranked[: max(TOP, len(case.must))]:
            place = ranked.index(KEY[key]) + 1 if KEY[key] in ranked else None
            reasons.append(f"must {key} at {place}")
    for key in case.must_not:
        if KEY[key] in top:
            reasons.append(f"must_not {key} at {top.index(KEY[key]) + 1}")
    if case.where is not None:
        good = sum(1 for i in top if _gain(case, docs[i]) > 0)
        if not top or good < math.ceil(WHERE_SHARE * len(top)):
            reasons.append(f"where ({case.where.__doc__}): {good} of {len(top)}")
    gains = [_gain(case, docs[i]) for i in top]
    dcg = sum(g / math.log2(r + 2) for r, g in enumerate(gains))
    ideal = sorted((_gain(case, d) for d in docs.values()), reverse=True)[:TOP]
    idcg = sum(g / math.log2(r + 2) for r, g in enumerate(ideal))
    return Outcome(case, list(ranked), not reasons, dcg / idcg if idcg else 1.0, "; ".join(reasons))


async def run(backend: Any) -> list[Outcome]:
    """Every case against ``backend`` (loaded with :func:`corpus`)."""
    from fupin.search.adapters import SearchQuery

    docs = {d["id"]: d for d in corpus()}
    outcomes = []
    for case in CASES:
        result = await backend.search(
            SearchQuery(text=case.query, filters=dict(case.filters), per_page=50)
        )
        outcomes.append(judge(case, [h["id"] for h in result.hits], docs))
    return outcomes


def summary(outcomes: Sequence[Outcome]) -> tuple[float, float]:
    """(pass rate, mean nDCG@10)."""
    passed = sum(o.passed for o in outcomes) / len(outcomes)
    return passed, sum(o.ndcg for o in outcomes) / len(outcomes)


if __name__ == "__main__":
    import asyncio
    import tempfile

    from fupin.search.adapters.embedded import EmbeddedBackend

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with EmbeddedBackend(tmp) as backend:
                await backend.ensure_index()
                await backend.upsert(list(corpus()), wait=True)
                outcomes = await run(backend)
        docs = {d["id"]: d for d in corpus()}
        for o in outcomes:
            if not o.passed:
                print(f"FAIL [{o.case.kind}] {o.case.query}: {o.why}")
                for i in o.ranked[:5]:
                    print(f"      {i} {docs[i]['county']} {docs[i]['title']}")
        rate, ndcg = summary(outcomes)
        kinds = sorted({o.case.kind for o in outcomes})
        for kind in kinds:
            mine = [o for o in outcomes if o.case.kind == kind]
            r, n = summary(mine)
            print(f"{kind:12} {len(mine):3} queries  pass {r:6.1%}  nDCG@10 {n:.3f}")
        print(f"{'all':12} {len(outcomes):3} queries  pass {rate:6.1%}  nDCG@10 {ndcg:.3f}")

    asyncio.run(main())
