"""The versioned catalog: what changed in the catalog, when, where and for whom.

``corpus/catalog_changes.yaml`` is the change log, written by the project: one entry per change to a
document — added to the catalog, a new status (试行 → 现行有效, 现行有效 → 已废止), a new 文号, a changed
text (or part of it repealed), a pilot extended to new provinces — with its date, the page it was
read on, and the regions and jobs it concerns. Jobs are recorded per entry by whoever writes it
(from the document's title and 要点); nothing here guesses them.

- :func:`load_changes` reads and validates the log (:class:`ChangeLogError` names the entry and field).
- :func:`replay` applies the changes in order and gives each document's recorded state (status, 文号,
  scope, …); :func:`check_changes` compares that with the catalog — the test that keeps the two
  consistent.
- :func:`diff_catalogs` computes the changes between two catalog files (``laoquan corpus diff``),
  :func:`describe` says a change in one Chinese line.
- :meth:`Change.concerns` / :meth:`Change.for_job` decide whether a change is for a region and job
  (national changes concern everyone; a city's changes concern its province).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping

from corpus.catalog import Catalog, CatalogEntry, load_catalog
from corpus.regions import applicable_regions
from common.files import TextDatesLoader, read_yaml
from common.validate import date_field, fail, reject_unknown

CHANGES_FILE = Path(__file__).with_name("catalog_changes.yaml")

JOBS = ("外卖", "快递", "网约车", "货运", "主播", "家政", "其他")
"""The jobs a worker subscribes to (the web page's choices)."""

KINDS: dict[str, str] = {
    # kind → label shown to workers and operators
    "added": "新收录",
    "status_changed": "状态变化",
    "renumbered": "文号变化",
    "text_changed": "内容修改",
    "pilot_extended": "试点扩大",
    "removed": "移出目录",
    "metadata_changed": "信息更正",
}
"""``removed`` and ``metadata_changed`` come out of :func:`diff_catalogs` (a document dropped, a date
or title corrected); the log may record them too."""

FIELDS: dict[str, str] = {
    # catalog fields a change may carry in before/after → Chinese label
    "status": "状态",
    "doc_no": "文号",
    "scope": "试点省份",
    "title": "标题",
    "short_name": "简称",
    "issuer": "发布机关",
    "kind": "类别",
    "region": "地区",
    "issued": "发布日期",
    "effective_from": "施行日期",
    "effective_to": "失效日期",
    "source_url": "官方链接",
    "supersedes": "取代",
    "superseded_by": "被取代",
    "sha256": "原文",
    "articles": "条文变化",
}
CHECKED_FIELDS = ("status", "doc_no", "scope", "title", "region", "articles")
"""Fields whose replayed value must equal the catalog's (:func:`check_changes`)."""
_ENTRY_FIELDS = ("date", "doc_id", "kind", "before", "after", "source_url", "regions", "jobs", "effective", "recorded", "note")


class ChangeLogError(Exception):
    """The change log cannot be used as it is; the message names the entry and the field."""


@dataclass(frozen=True)
class Change:
    """One change to one catalog document."""

    doc_id: str
    kind: str
    """One of :data:`KINDS`."""
    date: date | None
    """When the change happened (issued / published); None for a change computed by :func:`diff_catalogs`."""
    before: Mapping[str, Any] = field(default_factory=dict)
    """The changed catalog fields before the change (empty for ``added``)."""
    after: Mapping[str, Any] = field(default_factory=dict)
    """The changed catalog fields after it (empty for ``removed``)."""
    source_url: str | None = None
    """The page the change was read on."""
    regions: tuple[str, ...] = ()
    """The regions it concerns: ``全国``, provinces (e.g. the provinces a pilot adds) or cities."""
    jobs: tuple[str, ...] = ()
    """The jobs it concerns (:data:`JOBS`); empty when nobody recorded them (a computed diff)."""
    effective: date | None = None
    """When it takes effect, if that is not ``date``."""
    recorded: date | None = None
    """When the project recorded it (defaults to ``date``): what 「新」 in a feed is measured against."""
    note: str | None = None

    @property
    def key(self) -> str:
        """A stable id (doc, kind, date and the values after): the same change always has the same key,
        whatever note or jobs are corrected later. Feeds use it as the entry id, webhooks as the
        idempotency key."""
        basis = json.dumps([self.doc_id, self.kind, str(self.date), _plain(self.after), _plain(self.before)],
                           ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:20]

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def seen_on(self) -> date | None:
        """The day it became known to the feed: ``recorded``, else ``date``."""
        return self.recorded or self.date

    def concerns(self, region: str | None) -> bool:
        """Whether a worker in ``region`` (a province or city; None: anyone) is concerned: national
        changes concern everyone, a province's concern it and its cities, a city's concern its province."""
        if region is None:
            return True
        wanted = set(applicable_regions(region))
        return any(r in wanted for r in self.regions)

    def for_job(self, job: str | None) -> bool:
        return job is None or job in self.jobs


def _plain(value: Any) -> Any:
    """``value`` with dates and tuples made JSON-friendly (for keys, JSON output and comparisons)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Loading the log


def load_changes(path: Path = CHANGES_FILE, *, catalog: Catalog | None = None) -> list[Change]:
    """The log's changes in date order (entries of one date in file order), validated.

    With ``catalog``, every ``doc_id`` must be one of its documents.
    """
    path = Path(path)
    data = read_yaml(path, error=ChangeLogError, zh="变更记录", en="the change log", loader=TextDatesLoader)
    if not isinstance(data, dict) or not isinstance(data.get("changes"), list):
        raise ChangeLogError(f"{path}: 顶层应为 changes: 列表 / the top level must be a mapping with a 'changes' list")
    changes = []
    for n, raw in enumerate(data["changes"], start=1):
        try:
            change = _parse_change(raw, n)
        except ChangeLogError as exc:
            raise ChangeLogError(f"{path}: {exc}") from None
        if catalog is not None and change.doc_id not in catalog:
            raise ChangeLogError(f"{path}: 第{n}条 · doc_id: 目录中没有 {change.doc_id} / not a catalog document")
        changes.append(change)
    return sorted(changes, key=lambda c: c.date or date.min)  # stable: same-day entries keep file order


def _label(n: int) -> str:
    return f"第{n}条 (entry #{n})"


def _fail(n: int, field_name: str, zh: str, en: str) -> ChangeLogError:
    return fail(ChangeLogError, _label(n), field_name, zh, en)


def _parse_change(raw: object, n: int) -> Change:
    if not isinstance(raw, dict):
        raise _fail(n, "-", "条目应为映射", "an entry must be a mapping")
    reject_unknown(raw, _ENTRY_FIELDS, _label(n), error=ChangeLogError)
    for name in ("date", "doc_id", "kind", "regions", "jobs"):
        if raw.get(name) in (None, "", []):
            raise _fail(n, name, "缺少必填字段", "missing required field")
    kind = raw["kind"]
    if kind not in KINDS:
        raise _fail(n, "kind", f"未知类别 {kind!r}", f"unknown kind, expected one of {', '.join(KINDS)}")
    before, after = (_values(raw.get(name), name, n) for name in ("before", "after"))
    if kind != "added" and not before and kind != "removed":
        raise _fail(n, "before", "变化前的值不能为空", "a change needs its values before")
    if kind != "removed" and not after:
        raise _fail(n, "after", "变化后的值不能为空", "a change needs its values after")
    jobs = _strings(raw["jobs"], "jobs", n)
    bad = [j for j in jobs if j not in JOBS]
    if bad:
        raise _fail(n, "jobs", f"未知职业 {bad[0]!r}", f"unknown job, expected some of {'、'.join(JOBS)}")
    source = raw.get("source_url")
    if source is not None and not (isinstance(source, str) and re.match(r"https?://\S+$", source)):
        raise _fail(n, "source_url", "应为 http(s) 地址", "must be an http(s) URL")
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        raise _fail(n, "note", "应为文字", "must be text")
    return Change(
        doc_id=str(raw["doc_id"]),
        kind=kind,
        date=_date(raw["date"], "date", n),
        before=before,
        after=after,
        source_url=source,
        regions=_strings(raw["regions"], "regions", n),
        jobs=jobs,
        effective=_date(raw.get("effective"), "effective", n),
        recorded=_date(raw.get("recorded"), "recorded", n),
        note=" ".join(note.split()) if note else None,
    )


def _date(value: object, name: str, n: int) -> date | None:
    return date_field(value, name, _label(n), error=ChangeLogError)


def _strings(value: object, name: str, n: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(n, name, "应为文字列表", "must be a list of text")
    return tuple(v.strip() for v in value)


def _values(value: object, name: str, n: int) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(n, name, "应为映射（字段: 值）", "must be a mapping of field: value")
    reject_unknown(value, FIELDS, _label(n), error=ChangeLogError, prefix=f"{name}.",
                   en=f"unknown field, expected some of {', '.join(FIELDS)}")
    out = {}
    for key, item in value.items():
        if key in ("issued", "effective_from", "effective_to") and item is not None:
            item = _date(item, f"{name}.{key}", n)
        if isinstance(item, list):
            item = tuple(item)
        out[key] = item
    return out


# ---------------------------------------------------------------------------------------------
# The log against the catalog


def replay(changes: Iterable[Change]) -> dict[str, dict[str, Any]]:
    """Each document's recorded state: the ``after`` values of its changes applied in order
    (``articles`` merged article by article; ``removed`` drops the document)."""
    state: dict[str, dict[str, Any]] = {}
    for change in changes:
        if change.kind == "removed":
            state.pop(change.doc_id, None)
            continue
        doc = state.setdefault(change.doc_id, {})
        for key, value in change.after.items():
            if key == "articles":
                doc["articles"] = {**doc.get("articles", {}), **dict(value or {})}
            else:
                doc[key] = value
    return state


def catalog_state(entry: CatalogEntry) -> dict[str, Any]:
    """The values of ``entry`` a change records (``articles``: article → status of its article_changes)."""
    return {
        "status": entry.status,
        "doc_no": entry.doc_no,
        "scope": entry.scope,
        "title": entry.title,
        "short_name": entry.short_name,
        "issuer": entry.issuer,
        "kind": entry.kind,
        "region": entry.region,
        "issued": entry.issued,
        "effective_from": entry.effective_from,
        "effective_to": entry.effective_to,
        "source_url": entry.source_url,
        "supersedes": entry.supersedes,
        "superseded_by": entry.superseded_by,
        "sha256": entry.primary_source.sha256 if entry.primary_source else None,
        "articles": {c.article: c.status for c in entry.article_changes},
    }


def check_changes(changes: list[Change], catalog: Catalog) -> list[str]:
    """Where the log and the catalog disagree, one line each (empty when consistent): an unknown
    document, a document without an ``added`` change, a recorded status / 文号 / scope / title /
    region / article change that is not the catalog's, jobs or regions that cannot be subscribed to."""
    problems = []
    added = {c.doc_id for c in changes if c.kind == "added"}
    for change in changes:
        if change.doc_id not in catalog:
            problems.append(f"{change.doc_id}: 目录中没有这份文档 / not in the catalog ({change.kind} {change.date})")
    for entry in catalog:
        if entry.id not in added:
            problems.append(f"{entry.id}: 变更记录里没有它的 added 条目 / no 'added' change in the log")
    for doc_id, recorded in replay(changes).items():
        entry = catalog.get(doc_id)
        if entry is None:
            continue
        actual = catalog_state(entry)
        for key in CHECKED_FIELDS:
            if key in recorded and _plain(recorded[key]) != _plain(actual[key]) and not (key == "articles" and not recorded[key] and not actual[key]):
                problems.append(f"{doc_id}: 记录的{FIELDS[key]}是 {_show(recorded[key])}，目录里是 {_show(actual[key])}"
                                f" / the log's last {key} differs from the catalog")
        if "articles" not in recorded and actual["articles"]:
            problems.append(f"{doc_id}: 目录有条文变化 {_show(actual['articles'])}，变更记录里没有 / article_changes not in the log")
    return problems


# ---------------------------------------------------------------------------------------------
# Two catalogs compared

_METADATA = ("title", "short_name", "issuer", "kind", "region", "issued", "effective_from", "effective_to", "source_url",
             "supersedes", "superseded_by")


def regions_of(entry: CatalogEntry) -> tuple[str, ...]:
    """The regions a document concerns: a national pilot's provinces, else its region."""
    if isinstance(entry.scope, tuple) and entry.scope:
        return entry.scope
    return (entry.region,)


def diff_catalogs(old: Catalog | Path | str, new: Catalog | Path | str, *, changes: list[Change] | None = None) -> list[Change]:
    """What changed from catalog ``old`` to catalog ``new`` (catalogs or paths to catalog files).

    Changes have no date (a catalog does not say when it was edited). Their jobs are the ones the
    log ``changes`` records for that document, if given — never guessed.
    """
    old = old if isinstance(old, Catalog) else load_catalog(Path(old))
    new = new if isinstance(new, Catalog) else load_catalog(Path(new))
    jobs = {c.doc_id: c.jobs for c in changes or () if c.jobs}
    out: list[Change] = []

    def emit(entry: CatalogEntry, kind: str, before: dict, after: dict, regions: tuple[str, ...] | None = None) -> None:
        out.append(Change(doc_id=entry.id, kind=kind, date=None, before=before, after=after, source_url=entry.source_url,
                          regions=regions or regions_of(entry), jobs=jobs.get(entry.id, ())))

    for entry in new:
        if entry.id not in old:
            state = catalog_state(entry)
            emit(entry, "added", {}, {k: state[k] for k in ("status", "doc_no", "scope") if state[k] is not None})
            continue
        was, now = catalog_state(old[entry.id]), catalog_state(entry)
        folded: set[str] = set()
        if was["status"] != now["status"]:
            keys = ["status"] + (["effective_to"] if was["effective_to"] != now["effective_to"] else [])
            folded.update(keys)
            emit(entry, "status_changed", {k: was[k] for k in keys}, {k: now[k] for k in keys})
        if was["doc_no"] != now["doc_no"]:
            emit(entry, "renumbered", {"doc_no": was["doc_no"]}, {"doc_no": now["doc_no"]})
        text = [k for k in ("sha256", "articles") if _plain(was[k]) != _plain(now[k])]
        if text:
            emit(entry, "text_changed", {k: was[k] for k in text}, {k: now[k] for k in text})
        old_scope, new_scope = _provinces(was["scope"]), _provinces(now["scope"])
        if old_scope and new_scope and set(new_scope) > set(old_scope):
            added_provinces = tuple(p for p in new_scope if p not in old_scope)
            emit(entry, "pilot_extended", {"scope": was["scope"]}, {"scope": now["scope"]}, regions=added_provinces)
        elif _plain(was["scope"]) != _plain(now["scope"]):
            emit(entry, "metadata_changed", {"scope": was["scope"]}, {"scope": now["scope"]})
        other = [k for k in _METADATA if k not in folded and _plain(was[k]) != _plain(now[k])]
        if other:
            emit(entry, "metadata_changed", {k: was[k] for k in other}, {k: now[k] for k in other})
    for entry in old:
        if entry.id not in new:
            state = catalog_state(entry)
            emit(entry, "removed", {k: state[k] for k in ("status", "doc_no") if state[k] is not None}, {})
    order = list(KINDS)
    return sorted(out, key=lambda c: order.index(c.kind))  # stable: catalog order within a kind


def _provinces(scope: object) -> tuple[str, ...]:
    return tuple(scope) if isinstance(scope, (tuple, list)) else ()


# ---------------------------------------------------------------------------------------------
# Saying it


def _show(value: Any) -> str:
    if value is None or value == "" or value == () or value == {}:
        return "（空）"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return "、".join(map(str, value))
    if isinstance(value, Mapping):
        return "；".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def _few(provinces: Iterable[str], most: int = 6) -> str:
    provinces = list(provinces)
    return "、".join(provinces) if len(provinces) <= most else f"{'、'.join(provinces[:3])}等{len(provinces)}个省份"


def describe(change: Change, entry: CatalogEntry | None = None) -> str:
    """One line in Chinese: the label, the document and what changed, e.g.
    「试点扩大：《扩大职业伤害保障试点通知》新增天津、河北…10个省份（共17个），2025-07-01起」."""
    name = f"《{entry.short_name}》" if entry else change.doc_id
    when = f"，{change.effective.isoformat()}起" if change.effective else ""
    b, a = change.before, change.after
    if change.kind == "added":
        facts = "，".join(x for x in (a.get("doc_no"), a.get("status")) if x)
        title = f"《{entry.title}》" if entry else change.doc_id
        scope = f"，试点省份：{_few(a['scope'])}" if a.get("scope") else ""
        return f"{change.label}：{title}" + (f"（{facts}）" if facts else "") + scope + when
    if change.kind == "pilot_extended":
        old, new = _provinces(b.get("scope")), _provinces(a.get("scope"))
        added = [p for p in new if p not in old]
        return f"{change.label}：{name}新增{'、'.join(added)}{len(added)}个省份（共{len(new)}个）{when}"
    if change.kind == "text_changed" and set(a) == {"articles"}:
        parts = [f"{article}{status}" for article, status in (a.get("articles") or {}).items()
                 if (b.get("articles") or {}).get(article) != status]
        return f"{change.label}：{name}{'、'.join(parts)}{when}"
    if change.kind == "text_changed" and "sha256" in a:
        old, new = b.get("sha256"), a.get("sha256")
        text = "原文已更换" if old and new else ("新增原文" if new else "原文已移除")
        extra = f"（{str(old)[:8]} → {str(new)[:8]}）" if old and new else ""
        return f"{change.label}：{name}{text}{extra}{when}"
    if change.kind == "removed":
        return f"{change.label}：{name}（{_show(b.get('status'))}）"
    keys = [k for k in FIELDS if k in a or k in b]
    parts = [f"{FIELDS[k]} {_show(b.get(k))} → {_show(a.get(k))}" for k in keys]
    return f"{change.label}：{name}{'；'.join(parts)}{when}"
