"""The worker page's two panels besides the chat: 「新政策」 (政策直达) and 「服务站点 · 一键导航」.

Both work from what the browser remembers (the province/city and job, and the day of the last
visit — :class:`gradio.BrowserState`); the server keeps nothing about who looked. The HTML is made
by :mod:`bot.render`; this module decides *what* to show.

- :class:`NewsPanel`: the feed items (:class:`bot.feeds.FeedSource`) for the choice since the last
  visit — the newest few on a first visit — with the Atom / JSON feed links of the choice.
- :class:`ServicesPanel`: the chosen city's service points (:mod:`corpus.services`), or, after the
  worker taps 「附近」, the nearest ones to the position the browser gave (used for that one list,
  never stored or logged).
"""
from __future__ import annotations

import json
import logging
import os
from datetime import date
from pathlib import Path

from bot.asking import region_of
from bot.feeds import FeedSource, one_item_per_change, plain_summary
from bot.render import news_html, services_html
from corpus.regions import MUNICIPALITIES, NATIONAL, province_of

log = logging.getLogger(__name__)

NEWS_LIMIT = 8
NEAREST = 5
NEARBY_M = 50_000
"""Nothing farther than this (straight line) is listed as 「附近」."""


class NewsPanel:
    """「新政策」 for a worker's choice since their last visit."""

    def __init__(self, feeds: FeedSource, *, public_url: str = "", limit: int = NEWS_LIMIT):
        self.feeds = feeds
        try:  # read the catalog and change log now, not on the first worker's page load
            feeds.load()
        except Exception:
            log.exception("policy feeds unreadable at start-up (the panel will say so)")
        self.public_url = public_url.rstrip("/")
        self.limit = limit

    @staticmethod
    def next_visit(visit: dict | None, today: date) -> tuple[str | None, dict]:
        """(the day to show changes since, the visit to remember). The list stays the same for the
        rest of a day (a reload does not empty it); the next day it starts from today."""
        visit = dict(visit or {})
        last, prev = visit.get("last"), visit.get("prev")
        if last == today.isoformat():
            return prev, {"last": last, "prev": prev}
        return last, {"last": today.isoformat(), "prev": last}

    def feed_urls(self, region: str | None, job: str | None) -> dict[str, str]:
        from bot.feeds import JOB_PINYIN, region_id

        if not job or job not in JOB_PINYIN:
            return {}
        base = f"{self.public_url}/feeds/{region_id(region or NATIONAL)}/{JOB_PINYIN[job]}"
        return {"Atom 订阅": base + ".xml", "JSON 订阅": base + ".json"}

    def render(self, profile: dict | None, visit: dict | None, *, today: date | None = None) -> tuple[str, str, dict]:
        """(the panel's label, its HTML, the visit to remember)."""
        since, remembered = self.next_visit(visit, today or date.today())
        region, job = region_of(profile), (profile or {}).get("job")
        try:
            since_day = date.fromisoformat(since) if since else None
        except (ValueError, TypeError):  # a tampered or old value: treat as a first visit
            since, since_day = None, None
        try:
            items = self.feeds.items(region=region or NATIONAL, job=job or None, since=since_day)
        except Exception:
            log.exception("news for %s/%s failed", region, job)
            html = news_html([], since=since, region=region, job=job, error="新政策暂时读不出来，请稍后再试；有急事请拨打 12333。")
            return "新政策", html, remembered
        items = one_item_per_change(items, region=region)
        province = province_of(region)
        summaries = {i.id: plain_summary(self.feeds.summaries.texts(i.doc_id), province=province, job=job) for i in items[: self.limit]}
        html = news_html(items, since=since, region=region, job=job, feed_urls=self.feed_urls(region, job), limit=self.limit,
                         summaries=summaries)
        label = f"新政策 · {len(items)} 条新变化" if since and items else ("新政策" if since else "新政策 · 最近的变化")
        return label, html, remembered


class ServicesPanel:
    """「服务站点 · 一键导航」: the chosen city's points, or the nearest to the browser's position."""

    def __init__(self, directory=None, settings=None):
        self._directory = directory
        self.settings = settings
        self._cache: tuple | None = None
        try:
            self.directory()
        except Exception:
            log.exception("service directory unreadable at start-up (the panel will say so)")

    def directory(self):
        """The directory (committed file + local overlay), re-read when the overlay changes."""
        if callable(self._directory):
            return self._directory()
        if self._directory is not None:
            return self._directory
        from corpus.services import load_directory_for, overlay_path

        paths = (Path(self.settings.paths.services), overlay_path(self.settings))
        stamp = tuple(os.stat(p).st_mtime_ns if p.exists() else -1 for p in paths)
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, load_directory_for(self.settings))
        return self._cache[1]

    def points_for(self, profile: dict | None) -> tuple[str | None, list]:
        """(the place's name, its points): the city; a municipality; else the whole province."""
        profile = profile or {}
        city, province = profile.get("city"), profile.get("province")
        directory = self.directory()
        if city:
            return city, directory.for_city(city)
        if province in MUNICIPALITIES:
            return province, directory.for_city(province)
        if province:
            found = [p for p in directory if p.province == province]
            return province, sorted(found, key=lambda p: (p.city, p.source_type != "official"))
        return None, []

    def render(self, profile: dict | None) -> tuple[str, str]:
        try:
            place, points = self.points_for(profile)
        except Exception:
            log.exception("service directory unreadable")
            return "服务站点 · 一键导航", services_html([], place=None, message="服务站点目录暂时读不出来。")
        if place is None:
            return "服务站点 · 一键导航", services_html(
                [], place=None, message="先选你所在的城市，这里就会列出当地的仲裁院、法律援助等地点；也可以点「附近」。")
        label = f"服务站点 · 一键导航（{place} {len(points)} 处）" if points else f"服务站点 · 一键导航（{place}）"
        return label, services_html(points, place=place, map_svg=self._map(points))

    def _map(self, points: list, here: tuple[float, float] | None = None) -> str:
        """The static map of ``points``; those without coordinates at their district's centre."""
        from corpus.services import static_map_svg

        try:
            estimated = self.directory().estimated_positions(points)
        except Exception:  # the district boundaries are a help, never a reason to show nothing
            log.exception("district boundaries unreadable")
            estimated = {}
        return static_map_svg(points, here=here, estimated=estimated)

    def nearby(self, geo: str | None, profile: dict | None) -> str:
        """The nearest points to the position the browser gave (JSON ``{"lat", "lon"}`` or
        ``{"error"}``); says plainly when it cannot, and lists the chosen city's points instead.

        The position is used for this one list and never stored or logged. It is placed in its
        district (:mod:`corpus.districts`), and points whose pages gave no coordinates stand at
        their district's centre: their distances are marked as estimates.
        """
        from corpus.districts import district_map

        place, points = self.points_for(profile)
        try:
            where = json.loads(geo or "{}") if len(geo or "") <= 200 else {}  # a position is a few dozen characters
        except (ValueError, TypeError, RecursionError):  # not JSON; deeply nested JSON
            where = {}
        where = where if isinstance(where, dict) else {}
        try:
            lat, lon = float(where["lat"]), float(where["lon"])
        except (ValueError, KeyError, TypeError):
            error = where.get("error")
            why = {"denied": "你没有允许定位", "unsupported": "这个浏览器不能定位（有的浏览器只在 https 网页上给位置）"}.get(error, "没有拿到你的位置")
            return services_html(points, place=place, message=f"{why}。" + (f"下面是{place}的站点。" if points else ""),
                                 map_svg=self._map(points))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return services_html(points, place=place, message="位置不对，下面按城市列出。", map_svg=self._map(points))
        directory = self.directory()
        try:
            district = district_map().locate(lat, lon)
            nearest = directory.nearest(lat, lon, NEAREST, estimate=True)
        except Exception:
            log.exception("district boundaries unreadable")
            district, nearest = None, directory.nearest(lat, lon, NEAREST)
        if not nearest:
            message = "目录里的站点都还没有位置信息，没法按距离排。" + (f"下面是{place}的站点。" if points else "请先选城市。")
            return services_html(points, place=place, message=message, map_svg=self._map(points))
        close = [(p, d) for p, d in nearest if d <= NEARBY_M]
        shown = close or nearest
        found = [p for p, _ in shown]
        # the city's places whose position nobody knows (no coordinates, no district): after the placed ones, said so
        home = district.city if district else (profile or {}).get("city")
        unplaced = [p for p in self.unplaced(home) if p.id not in {f.id for f in found}] if close else []
        estimated = {p.id for p in found if not p.has_coords}
        where_text = f"你在{district.label}一带。" if district else ""
        if district and not any(p.city == district.city for p in found):
            where_text += f"目录里还没有{district.city}的站点，下面最近的几处都在外地；也可以拨打 12333 问本地地点。"
        if close:
            lead = f"离你最近的 {len(found)} 处（{NEARBY_M // 1000} 公里以内，直线距离"
        else:
            lead = f"{NEARBY_M // 1000} 公里以内没有目录里的站点。下面是最近的 {len(found)} 处，都离你很远（直线距离"
        message = (where_text + lead
                   + ("；标「估算」的，来源页面没有给准确位置，按它所在区的中心估算" if estimated else "")
                   + "；你的位置不会被保存）："
                   + (f"最后 {len(unplaced)} 处不知道在哪个区，标「位置未知」，去之前先打电话问清楚。" if unplaced else ""))
        return services_html(found + unplaced, place=place, distances=[d for _, d in shown] + [None] * len(unplaced), estimated=estimated,
                             unknown={p.id for p in unplaced}, message=message, map_svg=self._map(found, here=(lat, lon)))

    def unplaced(self, city: str | None) -> list:
        """The points of ``city`` that have neither coordinates nor a known district."""
        if not city:
            return []
        directory = self.directory()
        try:
            return [p for p in directory.for_city(city) if not p.has_coords and directory.estimated_position(p) is None]
        except Exception:
            log.exception("district boundaries unreadable")
            return []

__all__ = ["NewsPanel", "ServicesPanel"]
