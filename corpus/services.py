"""The service-point directory: places a worker can go to about a labour problem, from services.yaml.

A service point is an office or station (劳动人事争议仲裁院, 劳动保障监察, 法律援助中心, 工会驿站 …) with
its address, hours, phone and — when the page it was read on gives them — coordinates. Every
committed entry names the page its facts come from and the day it was read (``source_url``,
``checked``); nothing is geocoded from memory.

- :func:`load_services` reads and validates a directory file; anything malformed raises
  :class:`ServiceError` naming the file, the entry and the field (Chinese and English).
- Operators add their own points with ``laoquan corpus services-import FILE.csv|FILE.geojson``:
  :func:`import_file` validates every row, and only when all rows are good merges them into the
  *local overlay* ``<data>/services.local.yaml`` (the committed file is never edited).
  :func:`load_directory_for` reads both.
- :class:`ServiceDirectory` answers :meth:`~ServiceDirectory.for_city` and
  :meth:`~ServiceDirectory.nearest`; :func:`services_for_referrals` links the bot's referrals
  (``arbitration``, ``hotline-12333`` …) to the matching places in the worker's city.
- :func:`navigation_links` builds 高德 / 百度 / 腾讯 map links and a ``tel:`` link;
  :func:`static_map_svg` draws the points relative to each other as a small inline SVG (no tiles).

Coordinates: GCJ-02 (the "Mars" datum of Chinese map apps) is converted to WGS-84 with the
published forward formula and an iterative inverse (error below 0.01 m inside China), so distances
to a browser position (WGS-84, W3C Geolocation) are right to the metre, not ~500 m off.
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote, urlencode

import yaml

from corpus.regions import MUNICIPALITIES, OTHER_REGIONS, PROVINCE_OF, PROVINCES, normalise_region
from common.files import TextDatesLoader, read_yaml, write_atomic
from common.validate import ID_PATTERN, date_field, fail, reject_unknown, text_field

SERVICES_FILE = Path(__file__).with_name("services.yaml")
OVERLAY_NAME = "services.local.yaml"
"""The local overlay, in the data folder: points imported by an operator."""

KINDS: dict[str, str] = {
    # kind → label shown to workers
    "arbitration": "劳动人事争议仲裁院",
    "labour-inspection": "劳动保障监察",
    "legal-aid": "法律援助中心",
    "union-station": "工会服务站 / 暖新驿站 / 司机之家",
    "mediation": "一站式调解中心",
    "injury-insurance": "职业伤害保障经办机构（社保经办）",
}
KIND_ALIASES: dict[str, str] = {
    # Chinese words an operator may type in a CSV's kind column
    "劳动人事争议仲裁院": "arbitration", "仲裁院": "arbitration", "仲裁委": "arbitration", "劳动仲裁": "arbitration",
    "劳动人事争议仲裁委员会": "arbitration",
    "劳动保障监察": "labour-inspection", "劳动监察": "labour-inspection", "监察大队": "labour-inspection",
    "法律援助中心": "legal-aid", "法律援助": "legal-aid", "公共法律服务中心": "legal-aid",
    "工会服务站": "union-station", "暖新驿站": "union-station", "司机之家": "union-station", "工会驿站": "union-station",
    "户外劳动者服务站点": "union-station",
    "一站式调解中心": "mediation", "调解中心": "mediation", "调解": "mediation",
    "职业伤害保障经办机构": "injury-insurance", "社保经办": "injury-insurance", "职业伤害保障": "injury-insurance",
}
COORD_SYSTEMS = ("wgs84", "gcj02")
SOURCE_TYPES = ("official", "listing")

AREA_CODES = {
    # Dialling codes of the cities in the directory, for local numbers a page gives without one.
    "北京": "010", "上海": "021", "天津": "022", "重庆": "023", "沈阳": "024", "杭州": "0571", "广州": "020",
    "深圳": "0755", "东莞": "0769", "佛山": "0757", "合肥": "0551", "南京": "025", "武汉": "027", "成都": "028",
    "西安": "029", "大连": "0411", "宁波": "0574",
}

# China's extent, as given by AMap's URI guide (https://lbs.amap.com/api/uri-api/gettingstarted):
# longitude 73°33′E–135°05′E, latitude 3°51′N–53°33′N (so the larger number is the longitude).
LAT_RANGE = (3.85, 53.55)
LON_RANGE = (73.55, 135.09)

_REQUIRED = ("id", "name", "kind", "address", "province", "city", "source_url", "checked")
_OPTIONAL = ("hours", "phone", "lat", "lon", "coords", "district", "source_type", "note")
_PHONE = re.compile(
    r"1[3-9]\d{9}"                      # mobile
    r"|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?"   # landline with area code, optional extension
    r"|\d{7,8}"                          # local landline (the city's area code is added when dialling)
    r"|1\d{4}"                           # service numbers: 12333, 12348, 12351, 12345
    r"|[48]00-?\d{3}-?\d{4}"             # 400 / 800 numbers
)


class ServiceError(Exception):
    """A directory file or import cannot be used as it is; the message names file, entry and field."""


@dataclass(frozen=True)
class ServicePoint:
    id: str
    name: str
    kind: str
    address: str
    province: str
    city: str
    source_url: str
    checked: date
    """The day the facts were read on ``source_url``."""
    hours: str | None = None
    phone: str | None = None
    lat: float | None = None
    lon: float | None = None
    coords: str | None = None
    """``wgs84`` or ``gcj02``: the datum of ``lat``/``lon`` (None when there are none)."""
    district: str | None = None
    source_type: str = "official"
    """``official`` (a government or union page) or ``listing`` (a third-party page; less certain)."""
    note: str | None = None

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def has_coords(self) -> bool:
        return self.lat is not None and self.lon is not None

    def wgs84(self) -> tuple[float, float] | None:
        """(lat, lon) in WGS-84, converted from GCJ-02 when needed; None without coordinates."""
        if not self.has_coords:
            return None
        return gcj02_to_wgs84(self.lat, self.lon) if self.coords == "gcj02" else (self.lat, self.lon)

    def gcj02(self) -> tuple[float, float] | None:
        """(lat, lon) in GCJ-02, the datum the map apps draw on; None without coordinates."""
        if not self.has_coords:
            return None
        return wgs84_to_gcj02(self.lat, self.lon) if self.coords == "wgs84" else (self.lat, self.lon)

    def to_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        data["checked"] = self.checked.isoformat()
        data["kind_label"] = self.kind_label
        return data


# ---------------------------------------------------------------------------------------------
# Coordinates


_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _outside_china(lat: float, lon: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_delta(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 by the published forward formula (unchanged outside China)."""
    if _outside_china(lat, lon):
        return lat, lon
    dlat, dlon = _gcj_delta(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by fixed-point iteration on the forward formula (converges to < 1e-7°, ~1 cm)."""
    if _outside_china(lat, lon):
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(30):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        dlat, dlon = glat - lat, glon - lon
        wlat, wlon = wlat - dlat, wlon - dlon
        if abs(dlat) < 1e-9 and abs(dlon) < 1e-9:
            break
    return wlat, wlon


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (mean Earth radius 6,371,008.8 m)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(a)))


# ---------------------------------------------------------------------------------------------
# Loading and validating


def _fail(label: str, field_name: str, zh: str, en: str) -> ServiceError:
    return fail(ServiceError, label, field_name, zh, en)


def _read_yaml(path: Path) -> object:
    return read_yaml(path, error=ServiceError, zh="站点文件", en="the directory", loader=TextDatesLoader)


def load_services(path: Path = SERVICES_FILE) -> list[ServicePoint]:
    """Read and validate a directory file (top-level key ``services``: a list of entries)."""
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise ServiceError(f"{path.name}: 顶层应为 services: 列表 / the top level must be a mapping with a 'services' list")
    points: list[ServicePoint] = []
    seen: set[str] = set()
    for n, raw in enumerate(data["services"], start=1):
        point = parse_entry(raw, label=f"{path.name} · 第{n}条 (entry #{n})", named_label=lambda i: f"{path.name} · {i}")
        if point.id in seen:
            raise _fail(f"{path.name} · {point.id}", "id", f"id 重复（第{n}条）", f"duplicate id (entry #{n})")
        seen.add(point.id)
        points.append(point)
    return points


def parse_entry(raw: object, *, label: str, named_label=None) -> ServicePoint:
    """One entry (a mapping of field → value) as a :class:`ServicePoint`, or :class:`ServiceError`."""
    if not isinstance(raw, dict):
        raise _fail(label, "-", "条目应为映射", "an entry must be a mapping")
    if named_label and isinstance(raw.get("id"), str) and raw["id"].strip():
        label = named_label(raw["id"].strip())
    reject_unknown(raw, _REQUIRED + _OPTIONAL, label, error=ServiceError)
    values = {name: _text(raw, name, label) for name in _REQUIRED + ("hours", "phone", "coords", "district", "source_type", "note")}
    missing = [name for name in _REQUIRED if values[name] is None]
    if missing:
        raise _fail(label, missing[0], "缺少必填字段", "missing required field")
    if not ID_PATTERN.fullmatch(values["id"]):
        raise _fail(label, "id", "id 只能用小写字母、数字和连字符", "id must be lowercase letters, digits and hyphens")
    kind = KIND_ALIASES.get(values["kind"], values["kind"])
    if kind not in KINDS:
        raise _fail(label, "kind", f"未知类别 {values['kind']!r}", f"unknown kind, expected one of {', '.join(KINDS)}")
    province = normalise_region(values["province"])
    if province not in PROVINCES + OTHER_REGIONS:
        raise _fail(label, "province", f"未知省份 {values['province']!r}", "unknown province")
    city = normalise_region(values["city"])
    if province in MUNICIPALITIES and city != province:
        raise _fail(label, "city", f"直辖市的城市应为 {province}（收到 {values['city']!r}）", f"a municipality's city must be {province}")
    if city in PROVINCE_OF and PROVINCE_OF[city] != province:
        raise _fail(label, "city", f"{city} 属于 {PROVINCE_OF[city]}，不属于 {province}",
                    f"city {city} is in {PROVINCE_OF[city]}, not {province}")
    if not re.match(r"https?://\S+$", values["source_url"]):
        raise _fail(label, "source_url", "应为 http(s) 网址", "must be an http(s) URL")
    checked = _date(values["checked"], label)
    phone = values["phone"]
    if phone is not None and not _valid_phone(phone):
        raise _fail(label, "phone", f"电话格式不对 {phone!r}", "bad phone number (digits, area code with '-', e.g. 0571-12345678)")
    lat, lon, coords = _coordinates(raw.get("lat"), raw.get("lon"), values["coords"], label)
    source_type = values["source_type"] or "official"
    if source_type not in SOURCE_TYPES:
        raise _fail(label, "source_type", f"未知来源类型 {source_type!r}", f"expected one of {', '.join(SOURCE_TYPES)}")
    return ServicePoint(
        id=values["id"], name=values["name"], kind=kind, address=values["address"], province=province, city=city,
        source_url=values["source_url"], checked=checked, hours=values["hours"], phone=phone, lat=lat, lon=lon,
        coords=coords, district=values["district"], source_type=source_type, note=values["note"],
    )


def _text(raw: dict, name: str, label: str) -> str | None:
    value = raw.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name in ("phone",):
        return str(value)  # an unquoted phone number in YAML
    return text_field(raw, name, label, error=ServiceError)


def _date(value: str, label: str) -> date:
    checked = date_field(value, "checked", label, error=ServiceError)
    if checked is None:  # required: never None here, as checked is among the required fields
        raise _fail(label, "checked", f"日期无效 {value!r}（应为 YYYY-MM-DD）", "bad date, expected YYYY-MM-DD")
    return checked


def _valid_phone(phone: str) -> bool:
    """Each number of ``phone`` (several may be separated by 、 ， ; or /) is a Chinese phone number."""
    parts = [p.strip() for p in re.split(r"[、，,;；/]", phone) if p.strip()]
    return bool(parts) and all(_PHONE.fullmatch(p.replace(" ", "")) for p in parts)


def _number(value: object, name: str, label: str) -> float:
    if isinstance(value, bool):
        raise _fail(label, name, "应为数字", "must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _fail(label, name, f"应为数字（收到 {value!r}）", "must be a number") from None
    if math.isnan(number) or math.isinf(number):
        raise _fail(label, name, "应为有限数字", "must be a finite number")
    return number


def _coordinates(lat: object, lon: object, coords: str | None, label: str) -> tuple[float | None, float | None, str | None]:
    blank = lambda v: v is None or (isinstance(v, str) and not v.strip())  # noqa: E731
    if blank(lat) and blank(lon):
        return None, None, None
    if blank(lat) or blank(lon):
        raise _fail(label, "lat" if blank(lat) else "lon", "纬度和经度要同时填写", "lat and lon go together")
    lat_f, lon_f = _number(lat, "lat", label), _number(lon, "lon", label)
    if not (LAT_RANGE[0] <= lat_f <= LAT_RANGE[1]) or not (LON_RANGE[0] <= lon_f <= LON_RANGE[1]):
        swapped = LAT_RANGE[0] <= lon_f <= LAT_RANGE[1] and LON_RANGE[0] <= lat_f <= LON_RANGE[1]
        hint_zh = "（纬度和经度是不是写反了？）" if swapped else ""
        hint_en = " (lat and lon swapped?)" if swapped else ""
        raise _fail(label, "lat/lon", f"坐标不在中国境内 {lat_f}, {lon_f}{hint_zh}",
                    f"coordinates outside China: lat {LAT_RANGE}, lon {LON_RANGE}{hint_en}")
    if coords is None:
        raise _fail(label, "coords", "有坐标时必须写坐标系 wgs84 或 gcj02", "coords (wgs84 or gcj02) is required with lat/lon")
    coords = coords.lower().replace("-", "")
    if coords not in COORD_SYSTEMS:
        raise _fail(label, "coords", f"未知坐标系 {coords!r}", f"expected one of {', '.join(COORD_SYSTEMS)}")
    return lat_f, lon_f, coords


# ---------------------------------------------------------------------------------------------
# The directory


class ServiceDirectory:
    """Service points in file order (committed file first, then the local overlay)."""

    def __init__(self, points: Iterable[ServicePoint]):
        self.points: list[ServicePoint] = list(points)
        self.by_id = {p.id: p for p in self.points}
        self._districts: dict[str, object] = {}

    def __iter__(self) -> Iterator[ServicePoint]:
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def get(self, point_id: str) -> ServicePoint | None:
        return self.by_id.get(point_id)

    def for_city(self, city: str | None, kind: str | Iterable[str] | None = None) -> list[ServicePoint]:
        """Points in ``city`` (「杭州市」 and 「杭州」 alike; a municipality's name works too), of
        ``kind`` (one kind or several) when given, official sources before listings."""
        city = normalise_region(city)
        if not city:
            return []
        kinds = _kinds(kind)
        found = [p for p in self.points if p.city == city and (kinds is None or p.kind in kinds)]
        return sorted(found, key=lambda p: (p.source_type != "official",))

    def nearest(self, lat: float, lon: float, k: int = 5, *, kind: str | Iterable[str] | None = None,
                coords: str = "wgs84", estimate: bool = False) -> list[tuple[ServicePoint, float]]:
        """See :func:`nearest`; restricted to ``kind`` when given. With ``estimate``, a point whose
        page gave no coordinates stands at its district's centre (:meth:`estimated_position`), so
        the distance is an estimate at the scale of a district — callers must say so."""
        kinds = _kinds(kind)
        chosen = [p for p in self.points if kinds is None or p.kind in kinds]
        return nearest(chosen, lat, lon, k, coords=coords, estimated=self.estimated_positions(chosen) if estimate else None)

    def district_of(self, point: ServicePoint):
        """The :class:`corpus.districts.District` the point is in: its ``district`` field, else the
        first district of its city named in its address; None when neither names one we know."""
        if point.id not in self._districts:
            from corpus.districts import district_map

            districts = district_map()
            self._districts[point.id] = (districts.find(point.city, point.district)
                                         or districts.in_address(point.city, point.address))
        return self._districts[point.id]

    def estimated_position(self, point: ServicePoint) -> tuple[float, float] | None:
        """(lat, lon) WGS-84 of the point's district centre, for a point without coordinates of its
        own; None when it has coordinates (use them) or its district is unknown."""
        if point.has_coords:
            return None
        district = self.district_of(point)
        return district.centre if district is not None else None

    def estimated_positions(self, points: Iterable[ServicePoint]) -> dict[str, tuple[float, float]]:
        """``{point id: district centre}`` for those of ``points`` that have only an estimate."""
        found = {}
        for point in points:
            where = self.estimated_position(point)
            if where is not None:
                found[point.id] = where
        return found


def _kinds(kind: str | Iterable[str] | None) -> set[str] | None:
    if kind is None:
        return None
    kinds = {kind} if isinstance(kind, str) else set(kind)
    unknown = kinds - set(KINDS)
    if unknown:
        raise ValueError(f"unknown service kind(s): {', '.join(sorted(unknown))}")
    return kinds


def nearest(points: Iterable[ServicePoint], lat: float, lon: float, k: int = 5, *,
            coords: str = "wgs84", estimated: dict[str, tuple[float, float]] | None = None,
            ) -> list[tuple[ServicePoint, float]]:
    """The ``k`` points closest to (``lat``, ``lon``) with their distance in metres, closest first.

    The position is WGS-84 by default (what a browser's Geolocation API returns); pass
    ``coords="gcj02"`` for a position from a Chinese map app. Points are converted to WGS-84 first,
    so mixing datums costs nothing. A point without coordinates is placed at ``estimated[point.id]``
    (WGS-84) when given, and skipped otherwise.
    """
    if coords not in COORD_SYSTEMS:
        raise ValueError(f"coords must be one of {COORD_SYSTEMS}")
    here = gcj02_to_wgs84(lat, lon) if coords == "gcj02" else (lat, lon)
    estimated = estimated or {}
    ranked = []
    for point in points:
        where = point.wgs84() or estimated.get(point.id)
        if where is not None:
            ranked.append((point, haversine_m(here[0], here[1], where[0], where[1])))
    ranked.sort(key=lambda pair: (pair[1], pair[0].id))
    return ranked[: max(0, k)]


def overlay_path(settings) -> Path:
    """The local service-point overlay of ``settings`` (a :class:`common.settings.Settings`)."""
    return Path(settings.paths.data_dir) / OVERLAY_NAME


def load_directory(path: Path = SERVICES_FILE, overlay: Path | None = None) -> ServiceDirectory:
    """The committed points plus the overlay's (when it exists). An overlay id that is already in
    the committed file is an error: the committed file is the reviewed one."""
    points = load_services(path)
    if overlay is not None and Path(overlay).is_file():
        committed = {p.id for p in points}
        for point in load_services(overlay):
            if point.id in committed:
                raise _fail(f"{Path(overlay).name} · {point.id}", "id", f"与 {Path(path).name} 中的条目重复",
                            f"already in {Path(path).name}")
            points.append(point)
    return ServiceDirectory(points)


def load_directory_for(settings) -> ServiceDirectory:
    """``settings.paths.services`` merged with the settings' local overlay."""
    return load_directory(settings.paths.services, overlay=overlay_path(settings))


# ---------------------------------------------------------------------------------------------
# Referrals → kinds of place

REFERRAL_KINDS: dict[str, tuple[str, ...]] = {
    # referral id (corpus/referrals.yaml) → kinds of place that handle it in person
    "hotline-12333": ("labour-inspection", "injury-insurance"),  # 人社 hotline: complaints, social insurance
    "labour-inspection": ("labour-inspection",),
    "arbitration": ("arbitration", "mediation"),  # mediation first is offered at most arbitration windows
    "hotline-12351": ("union-station",),  # 全国总工会职工服务热线
    "hotline-12348": ("legal-aid",),  # 公共法律服务热线
}


def referral_kind_for(referral_id: str) -> tuple[str, ...]:
    """The kinds of service point that match a referral of the bot (empty for an unknown id)."""
    return REFERRAL_KINDS.get(referral_id, ())


def services_for_referrals(referral_ids: Iterable[str], city: str | None, *,
                           directory: ServiceDirectory | None = None, limit: int = 3) -> dict[str, list[ServicePoint]]:
    """For each referral (in order), up to ``limit`` places of its kinds in ``city``.

    Referrals with no matching place are left out, so an empty dict means "nothing to show".
    """
    directory = directory if directory is not None else load_directory()
    found: dict[str, list[ServicePoint]] = {}
    for referral_id in referral_ids:
        kinds = referral_kind_for(referral_id)
        if not kinds:
            continue
        points = directory.for_city(city, kinds)
        # the referral's first kind first (arbitration before mediation)
        points.sort(key=lambda p: kinds.index(p.kind))
        if points:
            found[referral_id] = points[:limit]
    return found


# ---------------------------------------------------------------------------------------------
# Links

APP_NAME = "laoquan"


def _q(text: str) -> str:
    """Percent-encode a value for a query string (UTF-8; nothing left unescaped but A-Z a-z 0-9 -_.~)."""
    return quote(text, safe="")


def _marker_text(text: str) -> str:
    """Tencent's marker syntax uses ``;`` ``:`` ``|`` as separators: keep them out of the values."""
    return re.sub(r"[;:|；：]", " ", text).strip()


def tel_link(point: ServicePoint) -> str | None:
    """``tel:`` link for the point's first phone number; a local number gets the city's area code."""
    if not point.phone:
        return None
    first = re.split(r"[、，,;；/]", point.phone)[0].replace(" ", "")
    with_extension = re.fullmatch(r"(0\d{2,3})-?(\d{7,8})-\d{1,6}", first)
    if with_extension:  # a tel: link cannot dial an extension reliably; call the switchboard
        first = with_extension.group(1) + with_extension.group(2)
    digits = re.sub(r"\D", "", first)
    if re.fullmatch(r"\d{7,8}", digits) and point.city in AREA_CODES:
        digits = AREA_CODES[point.city] + digits
    return f"tel:{digits}"


def navigation_links(point: ServicePoint) -> dict[str, str]:
    """Links that open the phone's map app on the point, plus web pages that work anywhere.

    Keys: ``amap`` (高德 web URI; ``callnative=1`` hands over to the app when installed),
    ``amap_android`` / ``amap_ios`` (app schemes), ``baidu`` (``baidumap://`` app scheme),
    ``baidu_web``, ``qq`` (``qqmap://`` app scheme), ``qq_web``, ``web`` (a plain page, no app),
    and ``tel`` when the point has a phone. All values are URL-encoded (Chinese names included).

    With coordinates every link is a marker at the point, in GCJ-02 (converted from WGS-84 when
    needed) and says so (``coordinate=gaode``, ``coord_type=gcj02``, ``dev=0``; Tencent's default
    is its own GCJ-02). Without coordinates (most committed entries: their pages give none) every
    link is a search for the point's name in its city instead — never a guessed position.

    URI schemes, as documented by the map vendors:
    - 高德 web marker / search: https://lbs.amap.com/api/uri-api/guide/mobile-web/point ,
      https://lbs.amap.com/api/uri-api/guide/search/search
    - 高德 app (``androidamap://viewMap``, ``iosamap://viewMap``):
      https://lbs.amap.com/api/amap-mobile/guide/android/marker ,
      https://lbs.amap.com/api/amap-mobile/guide/ios/marker
    - 百度 (``baidumap://map/marker``, ``baidumap://map/place/search``, web ``api.map.baidu.com/marker``):
      http://lbsyun.baidu.com/index.php?title=uri/api/android , http://lbsyun.baidu.com/index.php?title=uri/api/web
    - 腾讯 (``qqmap://map/marker``, ``qqmap://map/search``, web ``apis.map.qq.com/uri/v1/…``):
      https://lbs.qq.com/webApi/uriV1/uriGuide/uriMobileMarker ,
      https://lbs.qq.com/webApi/uriV1/uriGuide/uriWebMarker , https://lbs.qq.com/uri_v1/guide-mobile-poiSearch.html
    """
    links = _marker_links(point) if point.has_coords else _search_links(point)
    tel = tel_link(point)
    if tel:
        links["tel"] = tel
    return links


def _fmt(x: float) -> str:
    return f"{x:.6f}"


def _marker_links(point: ServicePoint) -> dict[str, str]:
    lat, lon = point.gcj02()
    la, lo = _fmt(lat), _fmt(lon)
    name, address = point.name, point.address
    amap_web = "https://uri.amap.com/marker?" + urlencode(
        {"position": f"{lo},{la}", "name": name, "src": APP_NAME, "coordinate": "gaode"}, quote_via=quote, safe=",")
    amap_app = urlencode({"sourceApplication": APP_NAME, "poiname": name, "lat": la, "lon": lo, "dev": "0"},
                         quote_via=quote)
    baidu_params = {"location": f"{la},{lo}", "title": name, "content": address, "coord_type": "gcj02", "src": APP_NAME}
    qq_marker = f"coord:{la},{lo};title:{_q(_marker_text(name))};addr:{_q(_marker_text(address))}"
    return {
        "amap": amap_web + "&callnative=1",
        "amap_android": "androidamap://viewMap?" + amap_app,
        "amap_ios": "iosamap://viewMap?" + amap_app,
        "baidu": "baidumap://map/marker?" + urlencode(baidu_params, quote_via=quote, safe=","),
        "baidu_web": "https://api.map.baidu.com/marker?" + urlencode({**baidu_params, "output": "html"}, quote_via=quote, safe=","),
        "qq": f"qqmap://map/marker?marker={qq_marker}&referer={APP_NAME}",
        "qq_web": f"https://apis.map.qq.com/uri/v1/marker?marker={qq_marker}&referer={APP_NAME}",
        "web": amap_web + "&callnative=0",
    }


def _search_links(point: ServicePoint) -> dict[str, str]:
    keyword, city = point.name, point.city
    amap_web = "https://uri.amap.com/search?" + urlencode(
        {"keyword": keyword, "city": city, "view": "map", "src": APP_NAME}, quote_via=quote)
    baidu = urlencode({"query": keyword, "region": city, "src": APP_NAME}, quote_via=quote)
    qq = urlencode({"keyword": keyword, "region": city, "referer": APP_NAME}, quote_via=quote)
    return {
        "amap": amap_web + "&callnative=1",
        "baidu": "baidumap://map/place/search?" + baidu,
        "baidu_web": "https://api.map.baidu.com/place/search?" + baidu + "&output=html",
        "qq": "qqmap://map/search?" + qq,
        "qq_web": "https://apis.map.qq.com/uri/v1/search?" + qq,
        "web": amap_web + "&callnative=0",
    }


# ---------------------------------------------------------------------------------------------
# A small static map


def static_map_svg(points: Iterable[ServicePoint], *, width: int = 320, height: int = 200,
                   here: tuple[float, float] | None = None, pad: int = 18,
                   estimated: dict[str, tuple[float, float]] | None = None) -> str:
    """An inline SVG that places the points (numbered 1, 2, … in the given order) relative to each
    other, and ``here`` (WGS-84 lat, lon) as a distinct dot — no tiles, nothing fetched. Names go
    into ``<title>`` elements (shown on hover / by screen readers), escaped. A point without
    coordinates is drawn at ``estimated[point.id]`` (its district's centre) as a hollow circle whose
    title says the place is estimated. Returns "" when no point can be placed.
    """
    estimated = estimated or {}
    placed = [(i, p, p.wgs84() or estimated.get(p.id)) for i, p in enumerate(points, start=1)]
    placed = [(i, p, ll) for i, p, ll in placed if ll is not None]
    if not placed:
        return ""
    lats = [ll[0] for _, _, ll in placed] + ([here[0]] if here else [])
    lons = [ll[1] for _, _, ll in placed] + ([here[1]] if here else [])
    mid_lat = math.radians((min(lats) + max(lats)) / 2)
    # equirectangular: x = lon·cos(mid lat), y = lat; one scale for both axes keeps shapes true
    xs = [lo * math.cos(mid_lat) for lo in lons]
    span_x, span_y = max(xs) - min(xs), max(lats) - min(lats)
    scale = min((width - 2 * pad) / span_x if span_x else math.inf, (height - 2 * pad) / span_y if span_y else math.inf)
    if scale == math.inf:
        scale = 0.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(lats) + min(lats)) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (width / 2 + (lon * math.cos(mid_lat) - cx) * scale, height / 2 - (lat - cy) * scale)

    esc = lambda s: html.escape(str(s), quote=True)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{esc("服务站点相对位置示意图（非地图）")}">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f6f7f9" stroke="#d0d4da"/>']
    if here:
        x, y = project(*here)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#1a73e8" stroke="#fff" stroke-width="2">'
                     f'<title>{esc("你的位置")}</title></circle>')
    for i, point, (lat, lon) in placed:
        x, y = project(lat, lon)
        label = f"{i}. {point.name}（{point.kind_label}）"
        if point.has_coords:
            parts.append(f'<g><circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#d93025"><title>{esc(label)}</title></circle>'
                         f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="middle" fill="#fff">{i}</text></g>')
        else:  # only its district is known
            label += "：位置按所在区估算"
            parts.append(f'<g class="estimated"><circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#fff" stroke="#d93025" '
                         f'stroke-width="2" stroke-dasharray="3 2"><title>{esc(label)}</title></circle>'
                         f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="middle" fill="#d93025">{i}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Importing operator files


_HEADER_ALIASES = {
    "名称": "name", "机构名称": "name", "类别": "kind", "类型": "kind", "地址": "address", "办公时间": "hours",
    "时间": "hours", "电话": "phone", "联系电话": "phone", "纬度": "lat", "经度": "lon", "坐标系": "coords",
    "省": "province", "省份": "province", "市": "city", "城市": "city", "区": "district", "区县": "district",
    "来源": "source_url", "来源网址": "source_url", "核实日期": "checked", "来源类型": "source_type", "备注": "note",
    "编号": "id",
}


@dataclass
class ImportReport:
    """What ``services-import`` did: the points it added or replaced, or every problem it found."""

    file: str
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    overlay: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return "\n".join([f"{self.file}: {len(self.errors)} 处错误，未导入任何条目 / "
                              f"{len(self.errors)} error(s), nothing imported:"] + [f"  {e}" for e in self.errors])
        return (f"已导入 {len(self.added)} 个新站点、更新 {len(self.replaced)} 个 → {self.overlay} / "
                f"imported {len(self.added)} new and {len(self.replaced)} updated point(s)")


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ServiceError(f"{name}: 无法识别文件编码（请另存为 UTF-8）/ unknown encoding, save as UTF-8")


def read_rows(path: Path) -> list[tuple[str, dict]]:
    """The rows of a CSV (header row of field names, English or Chinese) or GeoJSON file (Point
    features; the point's [lon, lat] fills lat/lon, ``coords`` defaults to wgs84 as RFC 7946
    says), each as (label, raw entry). File-level problems raise :class:`ServiceError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ServiceError(f"{path}: 读不到文件 / cannot read: {exc.strerror or exc}") from exc
    text = _decode(data, path.name)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(text, path.name)
    if suffix in (".geojson", ".json"):
        return _geojson_rows(text, path.name)
    raise ServiceError(f"{path.name}: 只支持 .csv 和 .geojson 文件 / only .csv and .geojson files can be imported")


def _csv_rows(text: str, name: str) -> list[tuple[str, dict]]:
    reader = csv.reader(io.StringIO(text))
    rows = [r for r in reader]
    if not rows or not any(c.strip() for c in rows[0]):
        raise ServiceError(f"{name}: 文件是空的或没有表头 / empty file or no header row")
    header = [_HEADER_ALIASES.get(c.strip(), c.strip()) for c in rows[0]]
    known = set(_REQUIRED) | set(_OPTIONAL)
    unknown = [c for c in header if c and c not in known]
    if unknown:
        raise ServiceError(f"{name} · 表头: 未知列 {unknown[0]!r} / unknown column (expected {', '.join(_REQUIRED + _OPTIONAL)})")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            out.append((f"{name} · 第{n}行 (row {n})", {"__error__": "列数多于表头 / more cells than header columns"}))
            continue
        raw = {h: (cell.strip() or None) for h, cell in zip(header, row) if h}
        out.append((f"{name} · 第{n}行 (row {n})", raw))
    return out


def _geojson_rows(text: str, name: str) -> list[tuple[str, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ServiceError(f"{name}: JSON 语法错误（第{exc.lineno}行）/ invalid JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise ServiceError(f"{name}: 应为 GeoJSON FeatureCollection / expected a GeoJSON FeatureCollection")
    out = []
    for n, feature in enumerate(data["features"], start=1):
        label = f"{name} · 第{n}个要素 (feature #{n})"
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            out.append((label, {"__error__": "要素缺少 properties / feature has no properties"}))
            continue
        raw = {_HEADER_ALIASES.get(k, k): v for k, v in feature["properties"].items()}
        geometry = feature.get("geometry")
        if geometry is not None:
            coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
            if not (isinstance(geometry, dict) and geometry.get("type") == "Point" and isinstance(coords, list)
                    and len(coords) >= 2):
                out.append((label, {"__error__": "geometry 应为 Point [经度, 纬度] / geometry must be a Point [lon, lat]"}))
                continue
            raw["lon"], raw["lat"] = coords[0], coords[1]
            raw.setdefault("coords", "wgs84")
        out.append((label, raw))
    return out


def _with_generated_id(raw: dict) -> dict:
    """Rows without an id get a stable one from their city, kind, name and address."""
    if raw.get("id") not in (None, ""):
        return raw
    basis = "|".join(str(raw.get(k) or "") for k in ("city", "kind", "name", "address"))
    return {**raw, "id": "imp-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:10]}


def _coerce_import(raw: dict) -> dict:
    """CSV cells are text: a phone stays text, numbers are parsed by the validator."""
    return {k: (str(v) if k == "phone" and isinstance(v, (int, float)) else v) for k, v in raw.items()}


def import_file(source: Path, overlay: Path, *, committed: Path = SERVICES_FILE, dry_run: bool = False) -> ImportReport:
    """Validate every row of ``source``; when all are good, merge them into ``overlay`` (an id that
    is already there is replaced; one in the committed file is an error). With any bad row nothing
    is written, so a broken file never loses the overlay's points."""
    source, overlay = Path(source), Path(overlay)
    report = ImportReport(file=source.name, overlay=str(overlay))
    try:
        rows = read_rows(source)
    except ServiceError as exc:
        report.errors.append(str(exc))
        return report
    if not rows:
        report.errors.append(f"{source.name}: 没有可导入的条目 / no rows to import")
        return report
    committed_ids = {p.id for p in load_services(committed)}
    existing = load_services(overlay) if overlay.is_file() else []
    existing_ids = {p.id for p in existing}
    new: list[ServicePoint] = []
    seen: dict[str, str] = {}
    for label, raw in rows:
        if "__error__" in raw:
            report.errors.append(f"{label}: {raw['__error__']}")
            continue
        raw = _coerce_import(_with_generated_id(raw))
        try:
            point = parse_entry(raw, label=label)
        except ServiceError as exc:
            report.errors.append(str(exc))
            continue
        if point.id in committed_ids:
            report.errors.append(f"{label} · id: {point.id} 已在 {committed.name} 中（请换一个 id）/ "
                                 f"already in {committed.name}, use another id")
        elif point.id in seen:
            report.errors.append(f"{label} · id: {point.id} 与 {seen[point.id]} 重复 / duplicate id in this file")
        else:
            seen[point.id] = label
            new.append(point)
    if report.errors:
        return report
    merged = {p.id: p for p in existing}
    for point in new:
        (report.replaced if point.id in existing_ids else report.added).append(point.id)
        merged[point.id] = point
    if not dry_run:
        write_atomic(overlay, dump_services(list(merged.values())).encode("utf-8"))
    return report


def dump_services(points: list[ServicePoint]) -> str:
    """YAML text of a directory file (the overlay's format, the same as services.yaml's)."""
    entries = []
    for p in points:
        entry = {k: v for k, v in asdict(p).items()}
        entry["checked"] = p.checked.isoformat()
        entries.append(entry)
    header = "# Service points imported by `laoquan corpus services-import` (local; not committed).\n"
    return header + yaml.safe_dump({"services": entries}, allow_unicode=True, sort_keys=False)
