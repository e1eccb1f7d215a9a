"""政策直达: the catalog's changes as a feed per region and job — Atom, JSON Feed and an HTTP router.

A worker (or a union's WeChat account, or a station screen) subscribes to a province or city and a
job, without an account: ``/feeds/浙江/外卖.xml`` (Atom 1.0) or ``/feeds/zhejiang/waimai.json``
(JSON Feed 1.1). Each item is one change of the change log (:mod:`corpus.changes`) that concerns
that region and job — national changes included, a city's for its province — newest first, with a
one-line plain summary from the project's 要点 (the first point of the document's notes; a line
made from the catalog when there are none) and the fields of a citation card.

- :func:`policy_feed` builds the items; :func:`resolve_region` / :func:`resolve_job` accept Chinese
  names (浙江, 浙江省, 杭州市) or pinyin (zhejiang, waimai).
- :func:`render_atom` / :func:`render_json` write them; every text is escaped (and characters XML
  cannot hold are dropped), links are http(s) only.
- :func:`feed_router` is a FastAPI ``APIRouter`` the web server includes.
"""
import hashlib
import json
import logging
import os
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from corpus.catalog import Catalog, CatalogEntry, load_catalog
from corpus.changes import CHANGES_FILE, JOBS, Change, describe, load_changes
from corpus.notes import NOTES_DIR, load_notes, notes_file
from corpus.regions import NATIONAL, PROVINCE_OF, normalise_region

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8))
"""Change dates are calendar days in China; a feed gives them as midnight in UTC+8."""
SUMMARY_CHARS = 90
FEED_AUTHOR = "劳权通"

PROVINCE_PINYIN = {
    "北京": "beijing", "天津": "tianjin", "河北": "hebei", "山西": "shanxi", "内蒙古": "neimenggu", "辽宁": "liaoning",
    "吉林": "jilin", "黑龙江": "heilongjiang", "上海": "shanghai", "江苏": "jiangsu", "浙江": "zhejiang", "安徽": "anhui",
    "福建": "fujian", "江西": "jiangxi", "山东": "shandong", "河南": "henan", "湖北": "hubei", "湖南": "hunan",
    "广东": "guangdong", "广西": "guangxi", "海南": "hainan", "重庆": "chongqing", "四川": "sichuan", "贵州": "guizhou",
    "云南": "yunnan", "西藏": "xizang", "陕西": "shaanxi", "甘肃": "gansu", "青海": "qinghai", "宁夏": "ningxia",
    "新疆": "xinjiang",
}
"""The 31 provinces (short names, as the catalog and the web page write them) and their pinyin ids."""
CITY_PINYIN = {
    "杭州": "hangzhou", "宁波": "ningbo", "温州": "wenzhou", "绍兴": "shaoxing", "嘉兴": "jiaxing", "湖州": "huzhou",
    "金华": "jinhua", "台州": "taizhou", "广州": "guangzhou", "深圳": "shenzhen", "佛山": "foshan", "东莞": "dongguan",
    "珠海": "zhuhai", "沈阳": "shenyang", "大连": "dalian", "合肥": "hefei", "芜湖": "wuhu", "武汉": "wuhan",
    "南京": "nanjing", "苏州": "suzhou", "无锡": "wuxi", "成都": "chengdu", "济南": "jinan", "青岛": "qingdao",
    "福州": "fuzhou", "厦门": "xiamen", "长沙": "changsha", "郑州": "zhengzhou", "西安": "xian",
}
JOB_PINYIN = {"外卖": "waimai", "快递": "kuaidi", "网约车": "wangyueche", "货运": "huoyun", "主播": "zhubo",
              "家政": "jiazheng", "其他": "qita"}


class FeedError(Exception):
    """A subscription that cannot be served: the message is one friendly Chinese sentence."""


def _by_id(names: dict[str, str]) -> dict[str, str]:
    return {pinyin: name for name, pinyin in names.items()}


def resolve_region(text: str) -> str:
    """``浙江`` for 浙江 / 浙江省 / zhejiang, ``杭州`` for 杭州 / 杭州市 / hangzhou, ``全国`` for 全国 / quanguo.

    Accepted: the 31 provinces, the cities :mod:`corpus.regions` knows, 全国; :class:`FeedError` otherwise.
    """
    raw = (text or "").strip()
    key = raw.lower().replace(" ", "").replace("-", "")
    found = {**_by_id(PROVINCE_PINYIN), **_by_id(CITY_PINYIN), "quanguo": NATIONAL, "china": NATIONAL}.get(key)
    if found:
        return found
    name = normalise_region(raw)
    if name and (name in PROVINCE_PINYIN or name in PROVINCE_OF or name == NATIONAL):
        return name
    raise FeedError(f"没有找到地区“{raw[:20]}”。请写省份或城市名称（如“浙江”“杭州”），或拼音（如 zhejiang、hangzhou）。")


def resolve_job(text: str) -> str:
    """``外卖`` for 外卖 / waimai (and the other jobs of :data:`corpus.changes.JOBS`); :class:`FeedError` otherwise."""
    raw = (text or "").strip()
    if raw in JOBS:
        return raw
    found = _by_id(JOB_PINYIN).get(raw.lower())
    if found:
        return found
    choices = "、".join(f"{j}（{JOB_PINYIN[j]}）" for j in JOBS)
    raise FeedError(f"没有找到职业“{raw[:20]}”。可以选：{choices}。")


def region_id(region: str) -> str:
    """The pinyin id of a resolved region (its Chinese name when it has none)."""
    return {**PROVINCE_PINYIN, **CITY_PINYIN, NATIONAL: "quanguo"}.get(region, region)


# ---------------------------------------------------------------------------------------------
# Items


@dataclass(frozen=True)
class FeedItem:
    """One change as a feed entry: what changed (``headline``), a plain summary and the citation card."""

    id: str
    """The change's stable key (:attr:`corpus.changes.Change.key`)."""
    kind: str
    label: str
    """新政策 / 状态变化 / 文号变化 / 内容修改 / 试点扩大 / …"""
    date: date
    updated: date
    """When the feed learned of it (the change's ``recorded`` date, else its date)."""
    effective: date | None
    headline: str
    """One line: the change, e.g. 「试点扩大：《…》新增天津、河北…10个省份（共17个），2025-07-01起」."""
    summary: str
    """One line in plain words: the first 要点 of the document, or a line from the catalog."""
    summary_kind: str
    """``要点（非原文）`` or ``目录信息``."""
    doc_id: str
    title: str
    doc_no: str | None
    status: str
    effective_from: date | None
    authority: str
    issuer: str
    link: str | None
    """The document's official page (the catalog's ``source_url``), else the page the change was read on."""
    change_source: str | None
    regions: tuple[str, ...] = ()
    jobs: tuple[str, ...] = ()
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)

    def card(self) -> dict[str, Any]:
        """The citation card fields, as the web page and the JSON answer name them."""
        return {"doc_id": self.doc_id, "title": self.title, "doc_no": self.doc_no, "status": self.status,
                "effective_from": self.effective_from.isoformat() if self.effective_from else None,
                "authority": self.authority, "issuer": self.issuer, "source_url": self.link}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label, "date": self.date.isoformat(),
                "updated": self.updated.isoformat(), "effective": self.effective.isoformat() if self.effective else None,
                "headline": self.headline, "summary": self.summary, "summary_kind": self.summary_kind, **self.card(),
                "change_source": self.change_source, "regions": list(self.regions), "jobs": list(self.jobs),
                "before": _jsonable(self.before), "after": _jsonable(self.after)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _http(url: str | None) -> str | None:
    return url.strip() if url and re.match(r"(?i)https?://[^\s<>\"']+$", url.strip()) else None


_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")


def one_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first sentence of ``text`` on one line, at most ``limit`` characters (cut with …)."""
    flat = _CJK_GAP.sub("", " ".join(str(text or "").split()))
    match = re.match(r".+?[。！？!?；;](?=\s|$|[^”’」』）)])", flat)
    first = match.group(0) if match else flat
    return first if len(first) <= limit else first[: limit - 1].rstrip("，、；：,;: ") + "…"


def catalog_line(entry: CatalogEntry) -> str:
    """A plain line about a document made from its catalog entry (when it has no 要点)."""
    by = f"{entry.issuer}发布" + (f"（{entry.doc_no}）" if entry.doc_no else "")
    when = f"，{entry.effective_from.isoformat()}起施行" if entry.effective_from else ""
    scope = f"，试点地区：{'、'.join(entry.scope)}" if isinstance(entry.scope, tuple) else ""
    return f"{by}{when}{scope}，目前{entry.status}。"


class _Summaries:
    """First-point summaries per document, re-read only when a notes file changes."""

    def __init__(self, notes_dir: Path):
        self.notes_dir = Path(notes_dir)
        self._cache: dict[str, tuple[int, tuple[str, ...]]] = {}

    def __call__(self, doc_id: str) -> str | None:
        texts = self.texts(doc_id)
        return one_line(texts[0]) if texts else None

    def texts(self, doc_id: str) -> tuple[str, ...]:
        """The document's 要点, in order (none when it has no notes file or the file is broken)."""
        path = notes_file(doc_id, self.notes_dir)
        stamp = path.stat().st_mtime_ns if path.is_file() else -1
        cached = self._cache.get(doc_id)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            points = load_notes(doc_id, self.notes_dir) if stamp >= 0 else []
        except Exception as exc:  # a broken notes file costs its summary, not the feed
            log.warning("notes of %s unreadable: %s", doc_id, exc)
            points = []
        texts = tuple(p.text for p in points)
        self._cache[doc_id] = (stamp, texts)
        return texts


JOB_WORDS = {"外卖": ("外卖", "骑手", "即时配送"), "快递": ("快递",), "网约车": ("网约车", "出行", "司机"), "货运": ("货运", "货车", "司机"),
             "主播": ("主播", "直播"), "家政": ("家政",), "其他": ()}
"""Words by which a 要点 says it concerns a job (the worker page's 新政策 picks such a point)."""
_ABOUT_THE_PAPER = re.compile(r"落款|印发|发文|文号|〔\d{4}〕|^这(是|份|个)|会议上|报告说|据.{0,12}(报道|摘述)")
"""A first sentence that describes the paper (who issued it, when, its number), not what it means."""


def plain_summary(texts: Iterable[str], *, province: str | None = None, job: str | None = None) -> str | None:
    """One plain line for the worker page's 新政策: the first 要点 that says what the document means
    (not who signed it when), preferring one that names the worker's province, then one that names
    their job; None when every point is about the paper (the page then shows no summary)."""
    plain = [line for line in (one_line(t) for t in texts) if line and not _ABOUT_THE_PAPER.search(line)]
    if not plain:
        return None
    words = JOB_WORDS.get(job or "", ())
    for wanted in ((province,) if province and province != NATIONAL else (), words):
        for line in plain:
            if any(w and w in line for w in wanted):
                return line
    return plain[0]


def one_item_per_change(items: list[FeedItem], *, region: str | None = None) -> list[FeedItem]:
    """The items with one per document and day: a document's 新收录 and its 试点扩大 of the same
    notice are one change to a worker. The one naming the worker's province is kept, else the first."""
    province = PROVINCE_OF.get(region or "", region)
    kept: dict[tuple[str, date], FeedItem] = {}
    for item in items:
        key = (item.doc_id, item.date)
        if key not in kept or (province and province in item.regions and province not in kept[key].regions):
            kept[key] = item
    chosen = {id(i) for i in kept.values()}
    return [i for i in items if id(i) in chosen]


def feed_items(changes: Iterable[Change], catalog: Catalog, *, region: str | None = None, job: str | None = None,
               since: date | None = None, summaries=None) -> list[FeedItem]:
    """The changes concerning ``region`` and ``job`` (None: any) that the feed learned of on or after
    ``since``, newest first. Changes of documents the catalog no longer has are left out."""
    summaries = summaries or _Summaries(NOTES_DIR)
    items = []
    for change in changes:
        entry = catalog.get(change.doc_id)
        if entry is None or change.date is None or not change.concerns(region) or not change.for_job(job):
            continue
        if since and (change.seen_on or change.date) < since:
            continue
        summary = summaries(entry.id)
        items.append(FeedItem(
            id=change.key, kind=change.kind, label=change.label, date=change.date, updated=change.seen_on or change.date,
            effective=change.effective, headline=describe(change, entry),
            summary=summary or catalog_line(entry), summary_kind="要点（非原文）" if summary else "目录信息",
            doc_id=entry.id, title=entry.title, doc_no=entry.doc_no, status=entry.status, effective_from=entry.effective_from,
            authority=entry.authority_label, issuer=entry.issuer,
            link=_http(entry.source_url) or _http(change.source_url), change_source=_http(change.source_url),
            regions=change.regions, jobs=change.jobs, before=dict(change.before), after=dict(change.after),
        ))
    items.sort(key=lambda i: (i.date, i.updated), reverse=True)  # stable: a day's changes keep log order
    return items


def policy_feed(province: str | None, job: str | None, *, since: date | None = None, changes: list[Change] | None = None,
                catalog: Catalog | None = None, notes_dir: Path = NOTES_DIR) -> list[FeedItem]:
    """The feed of ``province`` (a province or city, Chinese or pinyin; None: every region) and ``job``
    (None: every job): see :func:`feed_items`. Reads the committed catalog and change log unless given."""
    region = resolve_region(province) if province else None
    job = resolve_job(job) if job else None
    catalog = catalog if catalog is not None else load_catalog()
    changes = changes if changes is not None else load_changes(CHANGES_FILE, catalog=catalog)
    return feed_items(changes, catalog, region=region, job=job, since=since, summaries=_Summaries(notes_dir))


def feed_title(region: str | None, job: str | None) -> str:
    return " · ".join(x for x in ("劳权通新政策", region or "全部地区", job or "全部职业") if x)


# ---------------------------------------------------------------------------------------------
# Rendering

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ATOM_NS = "http://www.w3.org/2005/Atom"


def xml_text(text: object) -> str:
    """``text`` without the characters XML 1.0 cannot hold (control characters, lone surrogates);
    ElementTree escapes the rest (``<``, ``&``, quotes)."""
    return _NOT_XML.sub("", str(text if text is not None else ""))


def _stamp(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).isoformat()


def _urn(*parts: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "laoquan:" + ":".join(parts)).urn


def card_lines(item: FeedItem) -> list[str]:
    """The item as plain lines: what changed, the summary, then the card (title, 文号, status, date, authority, link)."""
    facts = "，".join(x for x in (item.authority, item.doc_no, item.status,
                                  f"{item.effective_from.isoformat()}起施行" if item.effective_from else "") if x)
    lines = [item.headline, f"{item.summary_kind}：{item.summary}", f"《{item.title}》（{facts}）", f"发布机关：{item.issuer}"]
    if item.link:
        lines.append(f"官方链接：{item.link}")
    if item.change_source and item.change_source != item.link:
        lines.append(f"变化来源：{item.change_source}")
    return lines


def render_atom(items: list[FeedItem], *, feed_url: str, title: str, updated: date | None = None,
                feed_id: str | None = None) -> bytes:
    """A valid Atom 1.0 document (UTF-8 bytes): feed id, title, updated, self link and author; per
    entry id (a URN from the change key), title, updated, published, link, categories, summary and
    text content. ``updated`` defaults to the newest entry's (today for an empty feed); ``feed_id``
    to a URN made from ``feed_url``."""
    ET.register_namespace("", ATOM_NS)
    q = lambda tag: f"{{{ATOM_NS}}}{tag}"  # noqa: E731
    feed = ET.Element(q("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})

    def sub(parent, tag, text=None, **attrs):
        node = ET.SubElement(parent, q(tag), {k: xml_text(v) for k, v in attrs.items() if v is not None})
        if text is not None:
            node.text = xml_text(text)
        return node

    newest = updated or max((i.updated for i in items), default=None) or datetime.now(CHINA).date()
    sub(feed, "id", feed_id or _urn("feed", feed_url))
    sub(feed, "title", title)
    sub(feed, "updated", _stamp(newest))
    sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    author = sub(feed, "author")
    sub(author, "name", FEED_AUTHOR)
    sub(feed, "generator", "laoquan")
    for item in items:
        entry = sub(feed, "entry")
        sub(entry, "id", _urn("change", item.id))
        sub(entry, "title", item.headline)
        sub(entry, "updated", _stamp(item.updated))
        sub(entry, "published", _stamp(item.date))
        sub(entry, "link", rel="alternate", type="text/html", href=item.link or f"{feed_url}#{item.id}")
        if item.change_source and item.change_source != item.link:
            sub(entry, "link", rel="via", href=item.change_source)
        sub(entry, "category", term=item.kind, label=item.label)
        for job in item.jobs:
            sub(entry, "category", term=job, scheme="urn:laoquan:job")
        sub(entry, "summary", item.summary, type="text")
        sub(entry, "content", "\n".join(card_lines(item)), type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


def render_json(items: list[FeedItem], *, feed_url: str, title: str, home_page_url: str | None = None) -> bytes:
    """A JSON Feed 1.1 document (UTF-8 bytes); each item's card and change under ``_laoquan``."""
    feed: dict[str, Any] = {"version": "https://jsonfeed.org/version/1.1", "title": title, "feed_url": feed_url,
                            "language": "zh-CN", "authors": [{"name": FEED_AUTHOR}],
                            "description": "新就业形态劳动者相关政策的新变化（劳权通目录变更记录）"}
    if _http(home_page_url):
        feed["home_page_url"] = home_page_url
    feed["items"] = []
    for item in items:
        entry: dict[str, Any] = {"id": item.id, "title": item.headline, "summary": item.summary,
                                 "content_text": "\n".join(card_lines(item)), "date_published": _stamp(item.date),
                                 "date_modified": _stamp(item.updated), "tags": [item.label, *item.jobs]}
        if item.link:
            entry["url"] = item.link
        if item.change_source and item.change_source != item.link:
            entry["external_url"] = item.change_source
        entry["_laoquan"] = item.to_json()
        feed["items"].append(entry)
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# HTTP


class FeedSource:
    """The catalog and change log a server feeds from, re-read when either file changes (so an
    operator's edit shows without a restart), plus the 要点 summaries."""

    def __init__(self, *, catalog_path: Path, changes_path: Path, notes_dir: Path):
        self.catalog_path, self.changes_path = Path(catalog_path), Path(changes_path)
        self.summaries = _Summaries(notes_dir)
        self._stamp: tuple | None = None
        self._loaded: tuple[Catalog, list[Change]] | None = None

    @classmethod
    def for_settings(cls, settings) -> "FeedSource":
        return cls(catalog_path=settings.paths.catalog, changes_path=settings.paths.changes, notes_dir=settings.paths.notes_dir)

    def load(self) -> tuple[Catalog, list[Change]]:
        stamp = tuple(os.stat(p).st_mtime_ns for p in (self.catalog_path, self.changes_path))
        if self._loaded is None or stamp != self._stamp:
            catalog = load_catalog(self.catalog_path)
            self._loaded = (catalog, load_changes(self.changes_path, catalog=catalog))
            self._stamp = stamp
        return self._loaded

    def items(self, *, region: str | None, job: str | None, since: date | None = None) -> list[FeedItem]:
        catalog, changes = self.load()
        return feed_items(changes, catalog, region=region, job=job, since=since, summaries=self.summaries)


UNAVAILABLE = "政策订阅暂时不可用，请稍后再试；有急事请拨打12333。"


def feed_router(*, source: FeedSource, public_url: str = ""):
    """A FastAPI router: ``GET /feeds/{province}/{job}.xml`` (Atom) and ``.json`` (JSON Feed).

    ``province`` and ``job`` may be Chinese (URL-encoded) or pinyin; ``?since=YYYY-MM-DD`` keeps the
    items the feed learned of on or after that day. Unknown region or job → 404 with a Chinese
    message; responses carry an ETag (a matching ``If-None-Match`` gets 304).
    """
    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse, Response

    public_url = public_url.rstrip("/")
    router = APIRouter()

    def serve(request: Request, province: str, job: str, fmt: str) -> Response:
        try:
            region, job_name = resolve_region(province), resolve_job(job)
            since = _since(request.query_params.get("since"))
        except FeedError as exc:
            status = 400 if "日期" in str(exc) else 404
            return JSONResponse({"detail": str(exc)}, status_code=status)
        try:
            items = source.items(region=region, job=job_name, since=since)
        except Exception:
            log.exception("feed %s/%s failed", region, job_name)
            return JSONResponse({"detail": UNAVAILABLE}, status_code=503)
        path = quote(request.url.path, safe="/%")
        feed_url = f"{public_url}{path}" if public_url else str(request.url.replace(path=path, query=""))
        title = feed_title(region, job_name)
        if fmt == "xml":
            feed_id = _urn("feed", region_id(region), JOB_PINYIN[job_name])
            body, media = render_atom(items, feed_url=feed_url, title=title, feed_id=feed_id), "application/atom+xml; charset=utf-8"
        else:
            body, media = render_json(items, feed_url=feed_url, title=title, home_page_url=public_url or None), "application/feed+json; charset=utf-8"
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media, headers=headers)

    @router.get("/feeds/{province}/{job}.xml", include_in_schema=False)
    def atom_feed(request: Request, province: str, job: str):
        return serve(request, province, job, "xml")

    @router.get("/feeds/{province}/{job}.json", include_in_schema=False)
    def json_feed(request: Request, province: str, job: str):
        return serve(request, province, job, "json")

    return router


def _since(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FeedError(f"日期格式应为 YYYY-MM-DD，例如 2025-07-01（收到“{text[:20]}”）。") from None


__all__ = ["FeedItem", "FeedError", "FeedSource", "policy_feed", "feed_items", "render_atom", "render_json", "feed_router",
           "resolve_region", "resolve_job", "region_id", "feed_title", "one_line", "catalog_line", "plain_summary", "one_item_per_change"]
