"""政策直达 by webhook: each new change is POSTed once to every webhook an operator lists.

Operators list webhooks in ``<data>/webhooks.yaml``::

    webhooks:
      - name: 杭州骑手工会群                 # shown in the push report
        url: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...
        kind: wecom                          # 企业微信群机器人 (markdown); or generic (JSON, the default)
        province: 浙江                       # optional filter: a province or city (Chinese or pinyin)
        job: 外卖                            # optional filter: one of 外卖 快递 网约车 货运 主播 家政 其他
        since: 2025-01-01                    # optional: also send the changes from this day on that the
                                             # log had before the webhook was first pushed to
        secret: ...                          # optional (generic): HMAC-SHA256 of the body in X-Laoquan-Signature

``laoquan feeds push`` sends every change of the change log that concerns a webhook's region and
job and that the delivery ledger (``<data>/webhooks.sqlite3``, SQLite in WAL mode) has not recorded
as delivered. A webhook seen for the first time without ``since`` takes the changes already in the
log as its baseline (recorded, not sent): it receives what is recorded from then on, not years of
history.

Delivery guarantee. Each try is recorded *before* the request (state ``sending``, committed) and
its outcome *after* (``sent`` / ``retry`` / ``failed``, committed). A push that crashes before the
request leaves no record and the next push sends the change; one that crashes after the request
but before recording the answer leaves ``sending`` and the next push sends it again. So no change
is ever lost, and it is sent **at least once**; a duplicate is possible only in that crash window.
Every request carries ``Idempotency-Key: laoquan-<webhook>-<change>`` (the same for every retry of
the same change to the same webhook), so a receiver that keeps the keys it has seen gets an
**exactly-once effect**. 企业微信 robots ignore the header: for them a crash in that window can show
one message twice. One push runs at a time (a lock file beside the ledger).

Retries: on a timeout, a connection error, a 5xx, or 429 (Retry-After honoured up to 30 s), with
doubling back-off, at most ``webhook_attempts`` tries per push and ``webhook_max_attempts`` in all;
any other 4xx (and a 企业微信 error code other than rate limits) is recorded as failed and not tried
again. Webhook URLs hold secrets (a robot's key): the ledger stores only a hash, reports show the
address without its query.
"""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import re
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

from bot.feeds import FeedError, FeedItem, card_lines, feed_items, resolve_job, resolve_region
from corpus.catalog import Catalog
from corpus.changes import Change
from common.files import read_yaml
from common import validate

USER_AGENT = "laoquan/0.1 (laoquan policy feed; webhook push run by an operator)"
KINDS = ("generic", "wecom")
WECOM_MAX_BYTES = 4096
"""企业微信 markdown messages are limited to 4096 bytes of UTF-8."""
WECOM_RETRY_CODES = {-1, 45009}
"""企业微信 error codes worth another try: system busy, rate limit; any other non-zero code is final."""
MAX_WAIT = 30.0
_FIELDS = ("name", "url", "kind", "province", "job", "since", "secret", "id")


class WebhookError(Exception):
    """The webhook list or ledger cannot be used; the message says why in Chinese and English."""


@dataclass(frozen=True)
class Webhook:
    id: str
    """Stable id (``id`` in the file, else a hash of the URL): the ledger's key, so a changed name
    or filter does not resend what was delivered."""
    name: str
    url: str = field(repr=False)
    kind: str = "generic"
    province: str | None = None
    job: str | None = None
    since: date | None = None
    secret: str | None = field(default=None, repr=False)

    @property
    def shown_url(self) -> str:
        """The address without its query (a robot's key is a secret)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


def load_webhooks(path: Path) -> list[Webhook]:
    """The webhooks of ``path`` (empty when the file does not exist), validated."""
    path = Path(path)
    if not path.is_file():
        return []
    data = read_yaml(path, error=WebhookError, zh="webhook 列表", en="the webhook list")
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("webhooks") or [], list):
        raise WebhookError(f"{path}: 顶层应为 webhooks: 列表 / the top level must be a mapping with a 'webhooks' list")
    hooks, seen = [], set()
    for n, raw in enumerate(data.get("webhooks") or [], start=1):
        hook = _parse(raw, f"{path.name} 第{n}条 (entry #{n})")
        if hook.id in seen:
            raise WebhookError(f"{path.name} 第{n}条: 与前面的 webhook 重复（同一地址或 id）/ duplicate webhook (same url or id)")
        seen.add(hook.id)
        hooks.append(hook)
    return hooks


def _parse(raw: object, label: str) -> Webhook:
    def fail(name: str, zh: str, en: str) -> WebhookError:
        return validate.fail(WebhookError, label, name, zh, en)

    if not isinstance(raw, dict):
        raise fail("-", "条目应为映射", "an entry must be a mapping")
    validate.reject_unknown(raw, _FIELDS, label, error=WebhookError, en=f"unknown field, expected some of {', '.join(_FIELDS)}")
    url = raw.get("url")
    if not isinstance(url, str) or not re.match(r"(?i)https?://[^\s/]+\S*$", url.strip()):
        raise fail("url", "应为 http:// 或 https:// 地址", "must be an http(s) URL")
    url = url.strip()
    kind = raw.get("kind") or "generic"
    if kind not in KINDS:
        raise fail("kind", f"未知类型 {kind!r}（generic 或 wecom）", "expected generic or wecom")
    try:
        province = resolve_region(str(raw["province"])) if raw.get("province") else None
        job = resolve_job(str(raw["job"])) if raw.get("job") else None
    except FeedError as exc:
        raise fail("province/job", str(exc), "unknown region or job") from None
    since = raw.get("since")
    if since is not None and not isinstance(since, date):
        try:
            since = date.fromisoformat(str(since).strip())
        except ValueError:
            raise fail("since", f"日期无效 {since!r}（应为 YYYY-MM-DD）", "bad date") from None
    hook_id = str(raw.get("id") or hashlib.sha256(url.encode("utf-8")).hexdigest()[:16])
    name = str(raw.get("name") or urlsplit(url).netloc)
    secret = raw.get("secret")
    return Webhook(id=hook_id, name=name, url=url, kind=kind, province=province, job=job, since=since,
                   secret=str(secret) if secret else None)


# ---------------------------------------------------------------------------------------------
# Messages


def _plain_md(text: str) -> str:
    """Text for 企业微信 markdown shown as written: markup characters become their full-width forms."""
    table = str.maketrans({"<": "＜", ">": "＞", "[": "【", "]": "】", "*": "＊", "`": "｀", "#": "＃", "_": "＿"})
    return str(text).translate(table)


def wecom_message(item: FeedItem, *, feed_url: str | None = None) -> dict:
    """A 企业微信 group-robot markdown message (≤ 4096 bytes)."""
    facts = "，".join(x for x in (item.authority, item.doc_no, item.status,
                                  f"{item.effective_from.isoformat()}起施行" if item.effective_from else "") if x)
    lines = [f"**{_plain_md(item.label)}**：{_plain_md(item.headline.split('：', 1)[-1])}",
             f"> {_plain_md(item.summary_kind)}：{_plain_md(item.summary)}",
             f"> 《{_plain_md(item.title)}》（{_plain_md(facts)}）"]
    if item.link:
        lines.append(f"[官方链接]({item.link})")
    if feed_url:
        lines.append(f"[更多新政策]({feed_url})")
    content = "\n".join(lines)
    while len(content.encode("utf-8")) > WECOM_MAX_BYTES:  # only a very long title or summary gets here
        content = content[: len(content) * 9 // 10] + "…"
    return {"msgtype": "markdown", "markdown": {"content": content}}


def generic_message(item: FeedItem, *, feed_url: str | None = None) -> dict:
    """The JSON body for a generic webhook: the feed item, its plain text and the feed's address."""
    return {"event": "laoquan.policy_change", **item.to_json(), "text": "\n".join(card_lines(item)), "feed_url": feed_url}


# ---------------------------------------------------------------------------------------------
# The ledger

_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    webhook_id TEXT NOT NULL,
    change_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('baseline', 'sending', 'sent', 'retry', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    updated TEXT NOT NULL,
    PRIMARY KEY (webhook_id, change_key)
);
"""
DONE = ("baseline", "sent", "failed")


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class Ledger:
    """Which change went to which webhook: SQLite in WAL mode, every state change committed at once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise WebhookError(f"{self.path}: 发送记录无法打开 / delivery ledger unusable: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    def known(self, webhook_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM webhooks WHERE id = ?", (webhook_id,)).fetchone() is not None

    def start(self, webhook_id: str, baseline: list[str]) -> None:
        """Record a webhook seen for the first time, with the change keys it is not to be sent."""
        with self._tx():
            self.db.execute("INSERT OR IGNORE INTO webhooks (id, first_seen) VALUES (?, ?)", (webhook_id, _now()))
            self.db.executemany(
                "INSERT OR IGNORE INTO deliveries (webhook_id, change_key, state, updated) VALUES (?, ?, 'baseline', ?)",
                [(webhook_id, key, _now()) for key in baseline])

    def row(self, webhook_id: str, key: str) -> tuple[str, int] | None:
        """(state, attempts) of a delivery, None when never tried."""
        return self.db.execute("SELECT state, attempts FROM deliveries WHERE webhook_id = ? AND change_key = ?",
                               (webhook_id, key)).fetchone()

    def sending(self, webhook_id: str, key: str) -> int:
        """Record a try about to be made (committed before the request); the number of this try."""
        with self._tx():
            self.db.execute(
                "INSERT INTO deliveries (webhook_id, change_key, state, attempts, updated) VALUES (?, ?, 'sending', 1, ?) "
                "ON CONFLICT (webhook_id, change_key) DO UPDATE SET state = 'sending', attempts = attempts + 1, updated = excluded.updated",
                (webhook_id, key, _now()))
            return self.row(webhook_id, key)[1]

    def finish(self, webhook_id: str, key: str, state: str, *, status: int | None = None, error: str | None = None) -> None:
        """Record the outcome of the try (committed as soon as it is known)."""
        with self._tx():
            self.db.execute("UPDATE deliveries SET state = ?, last_status = ?, last_error = ?, updated = ? "
                            "WHERE webhook_id = ? AND change_key = ?", (state, status, error, _now(), webhook_id, key))

    def counts(self, webhook_id: str) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, COUNT(*) FROM deliveries WHERE webhook_id = ? GROUP BY state", (webhook_id,)))

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


@contextmanager
def _push_lock(ledger_path: Path) -> Iterator[None]:
    lock_path = Path(ledger_path).with_suffix(".lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WebhookError("另一个 laoquan feeds push 正在运行，请稍后再试 / another push is running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _no_lock() -> Iterator[None]:
    yield


# ---------------------------------------------------------------------------------------------
# Sending


@dataclass(frozen=True)
class Outcome:
    state: str
    """``sent``, ``retry`` (worth another try) or ``failed`` (final)."""
    status: int | None = None
    error: str | None = None
    wait: float | None = None
    """Seconds the receiver asked us to wait (Retry-After)."""


def send_once(client, hook: Webhook, item: FeedItem, *, feed_url: str | None = None) -> Outcome:
    """One POST of ``item`` to ``hook``, classified."""
    import httpx

    body = (wecom_message if hook.kind == "wecom" else generic_message)(item, feed_url=feed_url)
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    key = f"laoquan-{hook.id}-{item.id}"
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, "Idempotency-Key": key,
               "X-Laoquan-Delivery": key, "X-Laoquan-Event": "policy_change"}
    if hook.secret:
        headers["X-Laoquan-Signature"] = "sha256=" + hmac.new(hook.secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
    try:
        response = client.post(hook.url, content=data, headers=headers)
    except httpx.TimeoutException:
        return Outcome("retry", error="超时 / timed out")
    except httpx.HTTPError as exc:
        return Outcome("retry", error=f"连接失败 / connection failed ({type(exc).__name__})")
    status = response.status_code
    if status == 429 or status >= 500:
        return Outcome("retry", status, f"HTTP {status}", _retry_after(response.headers.get("retry-after")))
    if not 200 <= status < 300:
        return Outcome("failed", status, f"HTTP {status}")
    if hook.kind == "wecom":
        try:
            answer = response.json()
            code = int(answer.get("errcode", 0))
        except (ValueError, AttributeError, TypeError):
            return Outcome("failed", status, "企业微信返回的不是 JSON / not a WeCom answer")
        if code in WECOM_RETRY_CODES:
            return Outcome("retry", status, f"企业微信 errcode {code}")
        if code != 0:
            return Outcome("failed", status, f"企业微信 errcode {code}: {str(answer.get('errmsg', ''))[:80]}")
    return Outcome("sent", status)


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


@dataclass(frozen=True)
class Delivery:
    """What one push did for one change and one webhook."""

    webhook: str
    change_key: str
    headline: str
    state: str
    """``sent``, ``retry`` (will be tried by the next push), ``failed`` (final), or ``would send`` (dry run)."""
    attempts: int = 0
    status: int | None = None
    error: str | None = None

    @property
    def line(self) -> str:
        mark = {"sent": "✓ 已发送", "retry": "… 稍后重试", "failed": "✗ 失败", "would send": "· 将发送"}.get(self.state, self.state)
        why = f"（{self.error}，第{self.attempts}次）" if self.error else (f"（第{self.attempts}次）" if self.attempts > 1 else "")
        return f"{mark} [{self.webhook}] {self.headline}{why}"


@dataclass
class PushReport:
    deliveries: list[Delivery] = field(default_factory=list)
    baselined: dict[str, int] = field(default_factory=dict)
    """Webhooks seen for the first time → how many existing changes were taken as their baseline."""

    @property
    def ok(self) -> bool:
        return all(d.state in ("sent", "would send") for d in self.deliveries)

    def count(self, state: str) -> int:
        return sum(d.state == state for d in self.deliveries)

    def summary(self) -> str:
        parts = [f"已发送 {self.count('sent')} 条", f"待重试 {self.count('retry')} 条", f"失败 {self.count('failed')} 条"]
        if self.count("would send"):
            parts = [f"将发送 {self.count('would send')} 条（试运行，未发送）"]
        return "；".join(parts) + f" / sent {self.count('sent')}, to retry {self.count('retry')}, failed {self.count('failed')}"


def push(hooks: list[Webhook], changes: list[Change], catalog: Catalog, ledger_path: Path, *, summaries=None,
         timeout: float = 10.0, attempts: int = 4, backoff: float = 1.0, max_attempts: int = 12,
         feed_url: Callable[[Webhook], str | None] | None = None, dry_run: bool = False,
         sleep: Callable[[float], None] = time.sleep, on_delivery: Callable[[Delivery], None] | None = None,
         transport=None) -> PushReport:
    """Send every change not yet delivered to each webhook (oldest first); see the module docstring
    for the guarantee. ``dry_run`` sends and records nothing. ``transport`` is for tests."""
    import httpx

    report = PushReport()
    ledger_path = Path(ledger_path)
    ledger = Ledger(ledger_path if not dry_run or ledger_path.is_file() else Path(":memory:"))
    try:
        with (_push_lock(ledger_path) if not dry_run else _no_lock()), httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
            for hook in hooks:
                items = feed_items(changes, catalog, region=hook.province, job=hook.job, summaries=summaries)
                items.reverse()  # oldest first: a group reads them in the order they happened
                if not ledger.known(hook.id):
                    old = [i.id for i in items if hook.since is None or i.date < hook.since]
                    report.baselined[hook.name] = len(old)
                    if not dry_run:
                        ledger.start(hook.id, old)
                    else:
                        items = [i for i in items if i.id not in set(old)]  # what the real push would send
                for item in items:
                    row = ledger.row(hook.id, item.id)
                    if row and row[0] in DONE:
                        continue
                    if dry_run:
                        delivery = Delivery(hook.name, item.id, item.headline, "would send")
                    else:
                        delivery = _deliver(client, ledger, hook, item, prior=row[1] if row else 0, attempts=attempts,
                                            backoff=backoff, max_attempts=max_attempts, sleep=sleep,
                                            feed_url=feed_url(hook) if feed_url else None)
                    report.deliveries.append(delivery)
                    if on_delivery:
                        on_delivery(delivery)
    finally:
        ledger.close()
    return report


def _deliver(client, ledger: Ledger, hook: Webhook, item: FeedItem, *, prior: int, attempts: int, backoff: float,
             max_attempts: int, sleep, feed_url: str | None) -> Delivery:
    outcome, tries, total = Outcome("retry"), 0, prior
    while tries < attempts and total < max_attempts:
        if tries:
            wait = min(backoff * 2 ** (tries - 1), MAX_WAIT)
            if outcome.wait is not None:
                if outcome.wait > MAX_WAIT:
                    break  # the receiver wants a long pause: the next push tries again
                wait = max(wait, outcome.wait)
            sleep(wait)
        total = ledger.sending(hook.id, item.id)  # recorded before the request
        tries += 1
        outcome = send_once(client, hook, item, feed_url=feed_url)
        state = outcome.state
        if state == "retry" and total >= max_attempts:
            state = "failed"
        ledger.finish(hook.id, item.id, state, status=outcome.status, error=outcome.error)  # and after it
        if state != "retry":
            return Delivery(hook.name, item.id, item.headline, state, total, outcome.status, outcome.error)
    return Delivery(hook.name, item.id, item.headline, "retry", total, outcome.status, outcome.error)


def push_for_settings(settings, *, dry_run: bool = False, on_delivery=None, sleep=time.sleep) -> PushReport:
    """:func:`push` with the settings' webhook list, catalog, change log, notes and ledger."""
    from bot.feeds import JOB_PINYIN, FeedSource, region_id

    hooks = load_webhooks(settings.paths.webhooks_path)
    source = FeedSource.for_settings(settings)
    catalog, changes = source.load()
    base = (settings.web.public_url or "").rstrip("/")

    def feed_url(hook: Webhook) -> str | None:
        """The Atom feed matching the webhook's filter, when the server's public address is set."""
        if not (base and hook.province and hook.job):
            return None
        return f"{base}/feeds/{region_id(hook.province)}/{JOB_PINYIN[hook.job]}.xml"

    return push(hooks, changes, catalog, settings.paths.deliveries_path, summaries=source.summaries,
                timeout=settings.webhooks.timeout, attempts=settings.webhooks.attempts, backoff=settings.webhooks.backoff,
                max_attempts=settings.webhooks.max_attempts, feed_url=feed_url, dry_run=dry_run, sleep=sleep,
                on_delivery=on_delivery)
