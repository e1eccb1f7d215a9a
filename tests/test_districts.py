"""District boundaries (corpus/districts.py) and the estimates they give the service directory:
a phone's position is placed in its district; an office whose page gave no coordinates stands at
its district's centre, is ranked by that estimate and is marked as estimated everywhere it shows.
"""
from __future__ import annotations

import re
from datetime import date

import pytest

from corpus.districts import district_map
from corpus.services import ServiceDirectory, ServicePoint, haversine_m, load_directory, navigation_links, static_map_svg


@pytest.fixture(scope="module")
def districts():
    return district_map()


def office(**changes) -> ServicePoint:
    values = dict(id="x", name="某区劳动人事争议仲裁院", kind="arbitration", address="某路1号", province="浙江",
                  city="杭州", source_url="https://example.gov.cn/a", checked=date(2026, 11, 24))
    values.update(changes)
    return ServicePoint(**values)


@pytest.mark.parametrize("lat, lon, label, province", [
    (30.2590, 120.1690, "杭州市上城区", "浙江"),      # 杭州 near 吴山
    (39.9087, 116.3975, "北京市东城区", "北京"),      # 天安门: a municipality's district
    (22.5431, 114.0579, "深圳市福田区", "广东"),
    (23.0207, 113.7518, "东莞市", "广东"),            # a city without districts
    (41.8057, 123.4315, "沈阳市沈河区", "辽宁"),
    (30.4193, 120.2995, "杭州市临平区", "浙江"),      # a district created in 2021
])
def test_a_position_is_placed_in_its_district(districts, lat, lon, label, province):
    found = districts.locate(lat, lon)
    assert found is not None and (found.label, found.province) == (label, province)


def test_outside_china_is_nowhere(districts):
    assert districts.locate(48.8566, 2.3522) is None  # Paris
    assert districts.locate(35.0, 140.0) is None      # the Pacific east of Japan


def test_districts_by_name_and_in_addresses(districts):
    tongzhou = districts.find("北京", "通州区")
    assert tongzhou.code == "110112" and tongzhou.city == "北京"
    assert districts.find("北京市", "通州") == tongzhou  # the suffixes may be left out
    assert districts.find("南通", "通州区").code == "320612"  # the same name in another city is another district
    assert districts.find("杭州", "不存在区") is None and districts.find("杭州", None) is None
    assert districts.find("东莞", "东城区") is None  # 东莞's 东城 is a 街道, not a district: no guess
    # the centre is inside the district it stands for
    for district in (tongzhou, districts.find("杭州", "钱塘区"), districts.find("深圳", "南山区")):
        assert districts.locate(*district.centre) == district
    assert districts.in_address("杭州", "浙江省杭州市拱墅区环城北路318号").name == "拱墅区"
    assert districts.in_address("杭州", "北京市朝阳区某路") is None  # another city's district is not this city's
    assert {d.name for d in districts.in_city("杭州")} >= {"上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区"}


def test_offices_without_coordinates_are_ranked_by_their_district_centre():
    shangcheng = office(id="sc", district="上城区")
    xiaoshan = office(id="xs", district=None, address="杭州市萧山区市心中路1号")  # the district from the address
    unknown = office(id="nowhere", district=None, address="某路1号")
    exact = office(id="exact", lat=30.30, lon=120.20, coords="wgs84")
    directory = ServiceDirectory([unknown, xiaoshan, shangcheng, exact])
    here = (30.2590, 120.1690)  # in 上城区
    assert [p.id for p, _ in directory.nearest(*here)] == ["exact"]  # without estimates: exact points only
    ranked = directory.nearest(*here, estimate=True)
    assert [p.id for p, _ in ranked] == ["sc", "exact", "xs"] or [p.id for p, _ in ranked] == ["exact", "sc", "xs"]
    assert "nowhere" not in [p.id for p, _ in ranked]  # no district known: never placed
    distances = dict((p.id, d) for p, d in ranked)
    assert distances["xs"] > 10_000 and distances["sc"] < 10_000
    assert directory.estimated_position(exact) is None and directory.estimated_position(unknown) is None
    assert directory.estimated_positions([shangcheng, xiaoshan, exact]).keys() == {"sc", "xs"}
    # navigation never uses the estimate: it searches the map app by name
    links = navigation_links(shangcheng)
    assert "/search?" in links["amap"] and not any("position=" in u or "coord:" in u for u in links.values())


def test_the_map_draws_estimates_as_hollow_circles():
    a = office(id="a", district="上城区", name="上城仲裁")
    b = office(id="b", district="萧山区", name="萧山仲裁")
    directory = ServiceDirectory([a, b])
    assert static_map_svg([a, b]) == ""  # nothing to place without the estimates
    svg = static_map_svg([a, b], estimated=directory.estimated_positions([a, b]))
    assert svg.count('class="estimated"') == 2 and "位置按所在区估算" in svg
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)" r="9"', svg)]
    assert ys[0] < ys[1]  # 上城区 lies north of 萧山区's centre


def test_committed_offices_are_placed_in_the_district_their_page_names():
    directory = load_directory()
    for point in directory:
        district = directory.district_of(point)
        if district is None:  # only when the page named none, or a development zone (not a district)
            assert point.district is None or any(w in point.district for w in ("高新", "经开", "开发区")), point.id
        else:  # a point's district is in its own city
            assert district.city == point.city, point.id
    assert sum(directory.district_of(p) is not None for p in directory) >= 0.75 * len(directory)


def test_nearby_panel_says_where_the_worker_is_and_marks_estimates():
    from bot.panels import ServicesPanel

    panel = ServicesPanel(load_directory())
    html = panel.nearby('{"lat": 39.9087, "lon": 116.3975}', {"province": "北京"})
    assert "你在北京市东城区一带" in html and "按所在区估算" in html and "你的位置不会被保存" in html
    first = html.index('<li class="point')
    assert "东城区" in html[first: html.index("</li>", first)]  # the office in the worker's own district first
    assert '<svg' in html and 'class="estimated"' in html and "空心圆圈" in html
    far = panel.nearby('{"lat": 26.0745, "lon": 119.2965}', {})  # 福州: no office in the directory
    assert "你在福州市" in far and "目录里还没有福州的站点" in far and 'href="tel:12333"' in far
    km = [float(x) for x in re.findall(r"估算约 (\d+) 公里", far)]
    assert km and min(km) > 300  # the nearest are far away, and the page says so by the distance


def test_distance_estimates_are_plausible():
    directory = load_directory()
    tongzhou = directory.get("bj-arbitration-city")
    where = directory.estimated_position(tongzhou)
    # the city arbitration commission is in 通州区 (its page says 潞城镇); the centre is within 20 km of 潞城
    assert where is not None and haversine_m(*where, 39.905, 116.755) < 20_000
