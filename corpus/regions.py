"""Which regions' documents apply to a worker: national ones, their province's and their city's.

A city is mapped to its province (杭州 → 浙江) so that a worker who names either sees both the
provincial and the city rules, and never another province's.
"""
from __future__ import annotations

NATIONAL = "全国"

PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西",
             "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海",
             "宁夏", "新疆")
"""The 31 provincial-level divisions of the mainland, short names, in the official order."""
OTHER_REGIONS = ("香港", "澳门", "台湾")
"""Named where an address may be (a service point's province), never offered as a choice."""
MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
"""Provincial-level cities: their city is the province."""

# Cities that have (or are likely to have) their own rules in the catalog, by province.
CITIES = {
    "浙江": ("杭州", "宁波", "温州", "绍兴", "嘉兴", "湖州", "金华", "台州"),
    "广东": ("广州", "深圳", "佛山", "东莞", "珠海"),
    "辽宁": ("沈阳", "大连"),
    "安徽": ("合肥", "芜湖"),
    "湖北": ("武汉",),
    "江苏": ("南京", "苏州", "无锡"),
    "四川": ("成都",),
    "山东": ("济南", "青岛"),
    "福建": ("福州", "厦门"),
    "湖南": ("长沙",),
    "河南": ("郑州",),
    "陕西": ("西安",),
}
PROVINCE_OF = {city: province for province, cities in CITIES.items() for city in cities}
_SUFFIXES = ("省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区")


def normalise_region(region: str | None) -> str | None:
    """「浙江省」→「浙江」, 「杭州市」→「杭州」; empty → None."""
    if not region or not region.strip():
        return None
    region = region.strip()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if region.endswith(suffix) and len(region) > len(suffix) + 1:
            return region[: -len(suffix)]
    return region


def province_of(region: str | None) -> str | None:
    region = normalise_region(region)
    return PROVINCE_OF.get(region, region) if region else None


def applicable_regions(region: str | None) -> tuple[str, ...]:
    """The ``region`` values of documents that apply: 全国, the province and its cities (when a
    province is named) or the province and that city (when a city is named). No region: national only."""
    region = normalise_region(region)
    if region is None:
        return (NATIONAL,)
    province = province_of(region)
    if region in PROVINCE_OF:
        return (NATIONAL, province, region)
    return (NATIONAL, province, *CITIES.get(province, ()))
