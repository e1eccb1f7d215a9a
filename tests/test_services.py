"""The service-point directory: the committed file is clean and sourced; loader errors name file,
entry and field; CSV / GeoJSON imports take good files whole and refuse broken ones without losing
anything; nearest() ranks by true distance across datums; links and the SVG are encoded/escaped.
"""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

from corpus.referrals import load_referrals
from corpus.services import (
    KINDS,
    SERVICES_FILE,
    ServiceDirectory,
    ServiceError,
    ServicePoint,
    gcj02_to_wgs84,
    haversine_m,
    import_file,
    load_directory,
    load_services,
    navigation_links,
    nearest,
    referral_kind_for,
    services_for_referrals,
    static_map_svg,
    tel_link,
    wgs84_to_gcj02,
)
from laoquan.cli import main

GOOD = {
    "id": "hz-legal-aid-test", "name": "杭州市测试法律援助中心", "kind": "legal-aid", "address": "杭州市上城区某路1号",
    "province": "浙江", "city": "杭州", "source_url": "https://example.gov.cn/page", "checked": "2026-11-24",
    "phone": "0571-12345678", "lat": 30.25, "lon": 120.17, "coords": "gcj02",
}


def write_yaml(path: Path, entries: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"services": entries}, allow_unicode=True), encoding="utf-8")
    return path


def point(**changes) -> ServicePoint:
    values = {k: v for k, v in GOOD.items() if k != "checked"}
    values.update(checked=date(2026, 11, 24))
    values.update(changes)
    return ServicePoint(**values)


# ------------------------------------------------------------------------------------------------
# The committed directory


def test_every_committed_entry_is_sourced_and_valid():
    points = load_services(SERVICES_FILE)
    assert len(points) >= 10
    for p in points:
        assert p.source_url.startswith(("http://", "https://")), p.id
        assert date(2020, 1, 1) <= p.checked <= date.today(), p.id
        assert p.kind in KINDS and p.source_type in ("official", "listing")
        assert p.has_coords == (p.coords is not None), p.id  # nothing geocoded: a datum only with coordinates
        assert p.phone is None or re.fullmatch(r"tel:(0\d{9,11}|1\d{4}|1[3-9]\d{9})", tel_link(p)), p.id
    assert {p.city for p in points} >= {"北京", "深圳", "杭州", "广州", "合肥", "沈阳"}
    assert len({p.id for p in points}) == len(points)


def test_committed_cities_resolve_for_workers():
    directory = load_directory()
    assert [p.district for p in directory.for_city("北京市", "arbitration")][:1] == ["通州区"]
    shenzhen = directory.for_city("深圳", "arbitration")
    assert shenzhen and all(p.province == "广东" for p in shenzhen)
    assert directory.for_city("拉萨") == [] and directory.for_city(None) == []


# ------------------------------------------------------------------------------------------------
# Loader errors


@pytest.mark.parametrize("change, field, words", [
    ({"name": None}, "name", "缺少必填字段"),
    ({"kind": "网吧"}, "kind", "未知类别"),
    ({"province": "火星"}, "province", "未知省份"),
    ({"city": "广州"}, "city", "属于 广东"),
    ({"lat": 95.0}, "lat/lon", "不在中国境内"),
    ({"lat": 120.17, "lon": 30.25}, "lat/lon", "写反了"),
    ({"lon": None}, "lon", "同时填写"),
    ({"coords": None}, "coords", "坐标系"),
    ({"coords": "bd09"}, "coords", "未知坐标系"),
    ({"phone": "打电话给我"}, "phone", "电话格式不对"),
    ({"phone": "0571-1234"}, "phone", "电话格式不对"),
    ({"checked": "2026/11/24"}, "checked", "日期无效"),
    ({"source_url": "见官网"}, "source_url", "http"),
    ({"id": "Bad ID"}, "id", "小写字母"),
    ({"website": "x"}, "website", "未知字段"),
])
def test_loader_names_file_entry_and_field(tmp_path, change, field, words):
    entry = {**GOOD, **change}
    path = write_yaml(tmp_path / "站点.yaml", [{k: v for k, v in entry.items() if v is not None or k == "coords"}])
    with pytest.raises(ServiceError) as err:
        load_services(path)
    message = str(err.value)
    assert message.startswith("站点.yaml · ")
    assert f"· {field}:" in message and words in message
    assert re.search(r"/ [a-z]", message)  # the English half


def test_loader_accepts_variants_and_rejects_duplicates(tmp_path):
    variants = {**GOOD, "province": "浙江省", "city": "杭州市", "kind": "暖新驿站", "phone": "12351、0571-87654321",
                "coords": "GCJ-02"}
    [p] = load_services(write_yaml(tmp_path / "a.yaml", [variants]))
    assert (p.province, p.city, p.kind, p.coords) == ("浙江", "杭州", "union-station", "gcj02")
    with pytest.raises(ServiceError, match="id 重复"):
        load_services(write_yaml(tmp_path / "b.yaml", [GOOD, GOOD]))
    (tmp_path / "d.yaml").write_text("points: []", encoding="utf-8")
    with pytest.raises(ServiceError, match="顶层应为 services"):
        load_services(tmp_path / "d.yaml")


# ------------------------------------------------------------------------------------------------
# Import


CSV_GOOD = """名称,类别,地址,电话,纬度,经度,坐标系,省,市,来源,核实日期
杭州市某某暖新驿站,暖新驿站,杭州市拱墅区某路8号,0571-88880000,30.32,120.14,gcj02,浙江,杭州,https://example.org/a,2026-11-20
杭州市某某司机之家,司机之家,杭州市余杭区某路9号,,,,,浙江,杭州,https://example.org/b,2026-11-21
"""


def test_csv_import_writes_the_overlay_never_the_committed_file(tmp_path):
    before = SERVICES_FILE.read_bytes()
    source = tmp_path / "驿站.csv"
    source.write_text(CSV_GOOD, encoding="utf-8-sig")  # Excel's UTF-8 with BOM
    overlay = tmp_path / "data" / "services.local.yaml"
    report = import_file(source, overlay)
    assert report.ok and len(report.added) == 2 and report.replaced == []
    assert SERVICES_FILE.read_bytes() == before
    directory = load_directory(overlay=overlay)
    hz = directory.for_city("杭州", "union-station")
    assert {p.name for p in hz} >= {"杭州市某某暖新驿站", "杭州市某某司机之家"}
    assert {p.id for p in hz} - {p.id for p in load_directory()} == {p.id for p in load_services(overlay)}
    assert next(p for p in hz if p.has_coords).phone == "0571-88880000"
    again = import_file(source, overlay)  # same rows again: same generated ids, replaced not duplicated
    assert again.ok and sorted(again.replaced) == sorted(report.added) and len(load_services(overlay)) == 2


def test_csv_in_gbk_is_read(tmp_path):
    source = tmp_path / "gbk.csv"
    source.write_bytes(CSV_GOOD.encode("gb18030"))
    assert import_file(source, tmp_path / "o.yaml").ok


def test_broken_csv_reports_every_bad_row_and_loses_nothing(tmp_path):
    overlay = tmp_path / "services.local.yaml"
    good = tmp_path / "good.csv"
    good.write_text(CSV_GOOD, encoding="utf-8")
    assert import_file(good, overlay).ok
    kept = overlay.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "名称,类别,地址,电话,纬度,经度,坐标系,省,市,来源,核实日期\n"
        "好的站点,法律援助,广州市某路1号,020-12345678,,,,广东,广州,https://e.org,2026-11-24\n"
        "坏的电话,法律援助,广州市某路2号,请拨打,,,,广东,广州,https://e.org,2026-11-24\n"
        "坏的类别,奶茶店,广州市某路3号,,,,,广东,广州,https://e.org,2026-11-24\n"
        "坏的坐标,仲裁院,广州市某路4号,,23.1,,gcj02,广东,广州,https://e.org,2026-11-24\n",
        encoding="utf-8")
    report = import_file(bad, overlay)
    assert not report.ok and report.added == []
    assert len(report.errors) == 3
    assert "第3行" in report.errors[0] and "phone" in report.errors[0]
    assert "第4行" in report.errors[1] and "未知类别" in report.errors[1]
    assert "第5行" in report.errors[2] and "同时填写" in report.errors[2]
    assert "未导入任何条目" in report.summary()
    assert overlay.read_bytes() == kept


def test_import_refuses_ids_of_the_committed_file_and_unknown_columns(tmp_path):
    committed_id = load_services(SERVICES_FILE)[0].id
    source = tmp_path / "x.csv"
    source.write_text(f"id,name,kind,address,province,city,source_url,checked\n"
                      f"{committed_id},某站,arbitration,某地址,北京,北京,https://e.org,2026-11-24\n", encoding="utf-8")
    report = import_file(source, tmp_path / "o.yaml")
    assert not report.ok and "已在 services.yaml 中" in report.errors[0]
    assert not (tmp_path / "o.yaml").exists()
    source.write_text("名称,颜色\n某站,红\n", encoding="utf-8")
    assert "未知列 '颜色'" in import_file(source, tmp_path / "o.yaml").errors[0]
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    assert ".csv 和 .geojson" in import_file(tmp_path / "x.xlsx", tmp_path / "o.yaml").errors[0]


def _feature(props: dict, coords=(113.26, 23.13)) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": list(coords)}}


def test_geojson_import_good_and_bad(tmp_path):
    base = {"name": "广州市测试调解中心", "kind": "mediation", "address": "广州市越秀区某路", "province": "广东",
            "city": "广州", "source_url": "https://e.org/gz", "checked": "2026-11-24"}
    good = tmp_path / "gz.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature(base)]}, ensure_ascii=False), encoding="utf-8")
    overlay = tmp_path / "o.yaml"
    assert import_file(good, overlay).ok
    [p] = load_services(overlay)
    assert (p.lat, p.lon, p.coords) == (23.13, 113.26, "wgs84")  # GeoJSON is WGS-84 (RFC 7946)

    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        _feature({**base, "name": "反了"}, coords=(23.13, 113.26)),
        {"type": "Feature", "properties": {**base, "name": "线"}, "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}},
        _feature({**base, "name": "缺地址", "address": None}),
    ]}, ensure_ascii=False), encoding="utf-8")
    report = import_file(bad, overlay)
    assert [e.split(" · ")[1].split(" ")[0] for e in report.errors] == ["第1个要素", "第2个要素", "第3个要素"]
    assert "写反了" in report.errors[0] and "Point" in report.errors[1] and "缺少必填字段" in report.errors[2]
    assert len(load_services(overlay)) == 1
    (tmp_path / "broken.geojson").write_text("{not json", encoding="utf-8")
    assert "JSON 语法错误" in import_file(tmp_path / "broken.geojson", overlay).errors[0]


def test_cli_services_import(tmp_path, capsys):
    source = tmp_path / "驿站.csv"
    source.write_text(CSV_GOOD, encoding="utf-8")
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "corpus", "services-import", str(source), "--dry-run"]) == 0
    assert not (data / "services.local.yaml").exists()
    assert main(["--data-dir", str(data), "corpus", "services-import", str(source)]) == 0
    assert "已导入 2 个新站点" in capsys.readouterr().out
    source.write_text("名称,类别\n某站,奶茶店\n", encoding="utf-8")
    assert main(["--data-dir", str(data), "corpus", "services-import", str(source)]) == 1
    out = capsys.readouterr().out
    assert "第2行" in out and "Traceback" not in out
    assert len(load_services(data / "services.local.yaml")) == 2


# ------------------------------------------------------------------------------------------------
# Distances


def test_gcj02_round_trip_and_offset():
    lat, lon = 39.9087, 116.3975  # central Beijing, WGS-84
    glat, glon = wgs84_to_gcj02(lat, lon)
    assert 300 < haversine_m(lat, lon, glat, glon) < 800  # the datum shift is hundreds of metres
    back = gcj02_to_wgs84(glat, glon)
    assert haversine_m(lat, lon, *back) < 0.05
    assert wgs84_to_gcj02(48.85, 2.35) == (48.85, 2.35)  # outside China: unchanged


def test_nearest_orders_by_true_distance_across_datums():
    here = (30.2741, 120.1551)  # WGS-84
    # B is given in GCJ-02 at the shifted position of a spot 1 km north; naively it would look nearer
    north_1km = (here[0] + 1000 / 111_195, here[1])
    b_gcj = wgs84_to_gcj02(*north_1km)
    a = point(id="a", lat=here[0] + 1500 / 111_195, lon=here[1], coords="wgs84")
    b = point(id="b", lat=b_gcj[0], lon=b_gcj[1], coords="gcj02")
    c = point(id="c", lat=here[0], lon=here[1] + 0.05, coords="wgs84")
    none = point(id="d", lat=None, lon=None, coords=None)
    ranked = nearest([c, none, a, b], *here, k=3)
    assert [p.id for p, _ in ranked] == ["b", "a", "c"]
    assert abs(ranked[0][1] - 1000) < 5 and abs(ranked[1][1] - 1500) < 5
    assert [p.id for p, _ in nearest([a, b], *here, k=1)] == ["b"]
    directory = ServiceDirectory([a, b, point(id="e", kind="arbitration", lat=here[0], lon=here[1], coords="wgs84")])
    assert [p.id for p, _ in directory.nearest(*here, kind="arbitration")] == ["e"]
    with pytest.raises(ValueError):
        directory.nearest(*here, kind="奶茶店")


# ------------------------------------------------------------------------------------------------
# Referrals


def test_referrals_map_to_kinds_and_places(tmp_path):
    for referral in load_referrals().items:
        assert referral_kind_for(referral.id), referral.id  # every referral the bot gives has places
    assert referral_kind_for("hotline-12348") == ("legal-aid",)
    assert referral_kind_for("hotline-12351") == ("union-station",)
    assert referral_kind_for("不存在") == ()
    beijing = services_for_referrals(["hotline-12333", "arbitration", "hotline-12348"], "北京市")
    assert list(beijing) == ["arbitration", "hotline-12348"] and beijing["arbitration"][0].id == "bj-arbitration-city"
    assert [p.kind for p in beijing["hotline-12348"]] == ["legal-aid"]  # 12348 → 法律援助
    assert len(beijing["arbitration"]) == 3
    directory = ServiceDirectory([point(id="m", kind="mediation"), point(id="r", kind="arbitration")])
    found = services_for_referrals(["arbitration"], "杭州", directory=directory)
    assert [p.id for p in found["arbitration"]] == ["r", "m"]


# ------------------------------------------------------------------------------------------------
# Links and the map


def test_marker_links_encode_chinese_and_use_gcj02():
    p = point(name="杭州市法律援助中心;总部", address="上城区:某路 1 号&2楼", lat=30.25, lon=120.17, coords="wgs84")
    links = navigation_links(p)
    glat, glon = wgs84_to_gcj02(30.25, 120.17)
    for key, url in links.items():
        assert " " not in url and "法律" not in url, key  # everything percent-encoded
    amap = urlsplit(links["amap"])
    q = parse_qs(amap.query)
    assert amap.netloc == "uri.amap.com" and q["position"] == [f"{glon:.6f},{glat:.6f}"]
    assert q["name"] == ["杭州市法律援助中心;总部"] and q["coordinate"] == ["gaode"] and q["callnative"] == ["1"]
    assert parse_qs(urlsplit(links["web"]).query)["callnative"] == ["0"]
    baidu = parse_qs(urlsplit(links["baidu"]).query)
    assert links["baidu"].startswith("baidumap://map/marker?") and baidu["location"] == [f"{glat:.6f},{glon:.6f}"]
    assert baidu["coord_type"] == ["gcj02"] and baidu["src"] == ["laoquan"] and baidu["content"] == ["上城区:某路 1 号&2楼"]
    assert links["qq"].startswith(f"qqmap://map/marker?marker=coord:{glat:.6f},{glon:.6f};title:")
    marker = links["qq"].split("marker=", 1)[1].split("&referer=")[0]
    assert marker.count(";") == 2 and unquote(marker.split(";title:")[1].split(";addr:")[0]) == "杭州市法律援助中心 总部"
    assert links["qq"].endswith("&referer=laoquan")
    app = parse_qs(urlsplit(links["amap_android"]).query)
    assert app["dev"] == ["0"] and app["poiname"] == ["杭州市法律援助中心;总部"]
    assert links["tel"] == "tel:057112345678"


def test_links_without_coordinates_search_by_name_in_city():
    p = point(lat=None, lon=None, coords=None, phone=None)
    links = navigation_links(p)
    assert "tel" not in links
    q = parse_qs(urlsplit(links["amap"]).query)
    assert urlsplit(links["amap"]).path == "/search" and q["keyword"] == [p.name] and q["city"] == ["杭州"]
    assert links["baidu"].startswith("baidumap://map/place/search?")
    assert parse_qs(urlsplit(links["qq"]).query)["region"] == ["杭州"]
    assert not any("position=" in url or "coord:" in url for url in links.values())


def test_tel_links():
    assert tel_link(point(phone="82696609", city="深圳", province="广东")) == "tel:075582696609"
    assert tel_link(point(phone="12348")) == "tel:12348"
    assert tel_link(point(phone="0571-88880000-123")) == "tel:057188880000"
    assert tel_link(point(phone="13800138000、0571-88880000")) == "tel:13800138000"


def test_static_map_escapes_and_places_points():
    a = point(id="a", name='<script>alert("x")</script>&站', lat=30.0, lon=120.0, coords="wgs84")
    b = point(id="b", name="北站", lat=30.1, lon=120.0, coords="wgs84")
    svg = static_map_svg([a, b, point(id="c", lat=None, lon=None, coords=None)], width=300, height=200)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script>" not in svg and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;站" in svg
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)" r="9"', svg)]
    assert len(ys) == 2 and ys[1] < ys[0]  # the northern point is drawn higher
    assert 'r="6"' not in svg and 'r="6"' in static_map_svg([a, b], here=(30.05, 120.01))
    assert static_map_svg([point(lat=None, lon=None, coords=None)]) == ""
    assert static_map_svg([a]).count('r="9"') == 1  # a single point does not divide by zero


def test_a_directory_file_not_in_utf8_is_a_service_error(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("services:\n  - id: 坏\n".encode("gbk"))
    with pytest.raises(ServiceError, match="不是 UTF-8"):
        load_services(path)
