"""The fixed lists the demo draws from: case categories, channels, hotspots, place names.

The categories form a responsibility list (权责清单) of 30 kinds across the four platforms with
realistic time limits; they are not demo-specific, a real installation may start from them. Their
`frequency` (share of cases within a platform) and `example` (a description) serve the demo only.
"""

from dataclasses import dataclass, fields

from psycopg2.extensions import cursor as Cursor


@dataclass(frozen=True)
class ScaleSpec:
    """How big a demo is: divisions per parent, grid cells per village, cases, mean cell area."""

    cities: int
    counties_per_city: int
    townships_per_county: int
    villages_per_township: int
    cells_per_village: float
    cases: int
    cell_km2: float


SCALES: dict[str, ScaleSpec] = {
    "small": ScaleSpec(1, 3, 4, 8, 4.2, 20_000, 1.0),
    "medium": ScaleSpec(1, 10, 14, 14, 5.0, 100_000, 0.8),
    "province": ScaleSpec(11, 8, 15, 15, 5.0, 1_000_000, 0.5),
}


@dataclass(frozen=True)
class Category:
    """One kind of case with its time limit for every stage (hours) and its duplicate rule."""

    code: str
    name_zh: str
    name_en: str
    platform_code: str
    family: str
    receive_hours: float
    dispatch_hours: float
    handle_hours: float
    reply_hours: float
    duplicate_radius_m: float
    duplicate_window_hours: float
    escalation_level: str
    frequency: float
    example: str


# Each category takes two lines: code | 中文 | English | platform | family, then receive dispatch handle
# reply (hours) | duplicate radius (m) and window (h) | escalation level | frequency | example.
# Services are done the same day (事不过夜); petitions and community correction go up to the county.
_TABLE = """
dispute|矛盾纠纷|Dispute mediation|governance|dispute
    2 2 72 24|150 72|township|5|邻里因宅基地边界发生争执
security_hazard|治安隐患|Public-order hazard|governance|security
    1 2 24 12|200 48|township|3|夜间有可疑人员聚集
community_correction|社区矫正|Community correction|governance|correction
    2 4 120 24|100 72|county|0.5|矫正对象未按时报到
petition|信访事项|Petition (xinfang)|governance|petition
    2 4 240 48|300 72|county|1.5|群众反映征地补偿问题
drug_control|禁毒线索|Drug-control lead|governance|security
    1 2 72 24|200 48|county|0.4|群众举报疑似涉毒线索
floating_population|流动人口|Floating population registration|governance|population
    2 4 48 24|100 72|township|2|出租房新增外来人员未登记
key_person_care|重点人员关爱|Care for vulnerable residents|governance|care
    2 4 72 24|100 72|township|1|独居老人需上门探访
food_safety|食品安全|Food safety|market|food
    1 2 24 12|150 48|county|3|摊点食品来源不明
unlicensed_business|无证无照经营|Unlicensed business|market|licence
    2 4 72 24|100 72|township|2|门店未取得营业执照经营
consumer_complaint|消费投诉|Consumer complaint|market|consumer
    2 4 168 24|50 24|township|4|消费者反映商品质量问题
price_violation|价格违法|Price violation|market|consumer
    2 4 72 24|100 48|township|1|商品未明码标价
counterfeit_goods|假冒伪劣|Counterfeit or substandard goods|market|consumer
    2 4 120 24|200 72|township|1|销售疑似假冒商品
special_equipment|特种设备安全|Special equipment safety|market|equipment
    1 2 48 24|100 48|county|0.8|电梯运行异响
medicine_device|药品医疗器械|Medicines and medical devices|market|food
    2 4 72 24|150 72|county|0.5|药店无处方销售处方药
illegal_construction|违章建筑|Unauthorised construction|enforcement|construction
    2 2 120 24|100 72|township|4|未经审批加盖房屋
environmental_sanitation|环境卫生|Environmental sanitation|enforcement|environment
    1 2 24 12|200 24|township|5|垃圾堆放未及时清运
work_safety|安全生产|Work safety|enforcement|safety
    1 2 24 12|150 48|county|2|作业现场未设安全防护
farmland_occupation|乱占耕地|Illegal occupation of farmland|enforcement|land
    2 4 120 24|300 72|county|1|耕地上堆放建材
tourism_enforcement|旅游执法|Tourism enforcement|enforcement|tourism
    2 4 48 24|300 48|township|0.8|景区周边无证揽客
construction_waste|渣土乱倒|Illegal dumping of construction waste|enforcement|environment
    1 2 24 12|300 24|township|2|路边倾倒建筑渣土
street_vending|占道经营|Street vending on public roads|enforcement|street
    1 2 12 12|80 24|township|3|占用人行道摆摊
noise_nuisance|噪声扰民|Noise nuisance|enforcement|environment
    1 2 24 12|300 24|township|2|夜间施工噪声扰民
river_pollution|河道污染|River pollution (五水共治)|enforcement|water
    1 2 48 24|500 72|county|1|河道漂浮物较多
licence_processing|证照办理|Licences and certificates|services|service
    1 1 8 4|50 24|township|3|咨询证件办理材料
social_insurance|社保医保|Social and medical insurance|services|service
    1 1 8 4|50 24|township|3|咨询医保异地报销
household_registration|户籍办理|Household registration (hukou)|services|service
    1 1 8 4|50 24|township|2|新生儿落户办理
civil_assistance|民政救助|Civil-affairs assistance|services|assistance
    1 2 24 8|50 48|township|2|申请临时救助
elderly_services|养老服务|Services for the elderly|services|assistance
    1 2 24 8|50 48|township|1.5|申请居家养老服务
disability_services|残疾人服务|Services for people with disabilities|services|assistance
    1 2 24 8|50 48|township|0.8|申请残疾人两项补贴
utility_repair|水电路灯报修|Water, power and streetlight repairs|services|utility
    1 1 12 4|100 24|township|2.5|路灯不亮
"""


def _category(head: str, tail: str) -> Category:
    code, zh, en, platform, family = head.split("|")
    hours, duplicate, level, frequency, example = tail.strip().split("|")
    r, d, h, rp = (float(x) for x in hours.split())
    radius, window = (float(x) for x in duplicate.split())
    return Category(
        code, zh, en, platform, family, r, d, h, rp, radius, window, level, float(frequency), example
    )


_LINES = _TABLE.strip("\n").splitlines()
CATEGORIES: tuple[Category, ...] = tuple(map(_category, _LINES[0::2], _LINES[1::2]))
BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}


@dataclass(frozen=True)
class Channel:
    """How a channel behaves in the demo: its share of cases, platform mix, reporters, intake."""

    code: str
    share: float
    platforms: tuple[float, float, float, float]  # governance, market, enforcement, services
    with_reporter: float
    receiver: str
    prefix: str
    raw_crs: str | None
    delay_s: tuple[int, int]


# code | share | platform mix | share with a reporter | receiver | external-id prefix | raw CRS | delay (s)
_CHANNELS = """
patrol|0.34|0.35 0.15 0.40 0.10|0.03|网格员巡查|XC|wgs84|0 300
hotline12345|0.18|0.20 0.30 0.30 0.20|1.0|12345热线|12345-||120 1800
pingan|0.13|0.70 0.10 0.20 0.00|0.3|平安浙江信息系统|PA|cgcs2000|60 900
minqing|0.10|0.30 0.10 0.40 0.20|0.8|民情地图|MQ|wgs84|60 3600
village_centre|0.10|0.30 0.00 0.10 0.60|0.9|村便民服务中心|BM||60 600
zwfw|0.10|0.10 0.20 0.00 0.70|1.0|浙江政务服务网|ZWFW|cgcs2000|300 7200
open311|0.05|0.00 0.20 0.60 0.20|0.5|Open311接口|311-|wgs84|30 600
"""


def _channel(line: str) -> Channel:
    code, share, mix, reporter, receiver, prefix, raw, delay = line.split("|")
    g, m, e, s = (float(x) for x in mix.split())
    low, high = (int(x) for x in delay.split())
    return Channel(
        code, float(share), (g, m, e, s), float(reporter), receiver, prefix, raw or None, (low, high)
    )


CHANNELS: dict[str, Channel] = {c.code: c for c in map(_channel, _CHANNELS.strip().splitlines())}

# Hotspots (a few per township): kind | place name | categories reported there with weights.
_HOTSPOTS = """
market|农贸市场|food_safety:4 unlicensed_business:3 consumer_complaint:3 street_vending:4 price_violation:2
construction|建设工地|illegal_construction:4 construction_waste:4 work_safety:3 noise_nuisance:3 dispute:2
school|学校周边|security_hazard:3 street_vending:2 food_safety:2
scenic|景区|tourism_enforcement:4 environmental_sanitation:2 consumer_complaint:2
riverside|河道沿线|river_pollution:4 environmental_sanitation:3 farmland_occupation:1
industrial|工业园区|work_safety:4 special_equipment:2 floating_population:3 dispute:2
estate|老旧小区|dispute:3 noise_nuisance:2 illegal_construction:2 utility_repair:2
"""
HOTSPOTS: dict[str, tuple[str, dict[str, int]]] = {
    kind: (name, {c: int(w) for c, w in (pair.split(":") for pair in weights.split())})
    for kind, name, weights in (line.split("|") for line in _HOTSPOTS.strip().splitlines())
}

# Dedicated grids (专属网格): label, width and height in metres, share among dedicated grids.
DEDICATED: dict[str, tuple[str, float, float, float]] = {
    "enterprise": ("制造企业", 260.0, 180.0, 0.32),
    "school": ("中心小学", 180.0, 130.0, 0.28),
    "market": ("农贸市场", 120.0, 90.0, 0.20),
    "hospital": ("卫生院", 150.0, 120.0, 0.12),
    "scenic": ("景区", 500.0, 350.0, 0.08),
}

# Synthetic place names: cities, county stems (天干地支), two-character township and village names.
CITY_NAMES = ["示范", "样例", "模拟", "演示", "试点", "范例", "虚拟", "假设", "实验", "参照", "测试"]
COUNTY_STEMS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
PLACE_FIRST = "东西南北上下前后大小新青石桃柳清白云龙凤金银松竹梅兰杏枫"
PLACE_SECOND = "山溪岭塘坑源湖桥田坪口岙阳峰林湾洋垟坞畈岗头圩"

_COLUMNS = tuple(f.name for f in fields(Category))[:12]  # the stored ones


def upsert_categories(cur: Cursor, categories: tuple[Category, ...] = CATEGORIES) -> int:
    """Insert the catalogue, updating rows that already exist by code; returns the rows written."""
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])
    statement = (
        f"INSERT INTO case_categories ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))}) "
        f"ON CONFLICT (code) DO UPDATE SET {updates}"
    )
    cur.executemany(statement, [tuple(getattr(c, name) for name in _COLUMNS) for c in categories])
    return len(categories)
