"""The station dashboard (staff page): what workers ask, how often the bot could not help, which
questions most need a vetted answer, and how fast problem reports are answered — as tables, plots
(matplotlib, drawn on the server with the Agg backend) and CSV files.

Everything comes from :class:`bot.records.Records`: the anonymous ``asked`` counts (ISO week,
province, job, topic, outcome — no question text, no time finer than the day), the 有用 / 没用
feedback, the staff queue (questions already redacted when stored, redacted once more here) and the
reports' timestamps. Nothing is sent anywhere; the CSVs are written for the logged-in staffer only.

The promise the report figures are measured against is the provincial platforms' 「10分钟响应、
24小时跟踪」: a first staff action within :data:`RESPOND_WITHIN`, closed within :data:`CLOSE_WITHIN`.
"""
from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")  # never a window, never a GUI toolkit: figures are PNGs made on the server
from matplotlib.figure import Figure  # noqa: E402

from bot.records import Records, iso_week, question_key  # noqa: E402
from bot.redact import redact  # noqa: E402
from common.spreadsheet import spreadsheet_cell  # noqa: E402

RESPOND_WITHIN = timedelta(minutes=10)
CLOSE_WITHIN = timedelta(hours=24)
NO_REGION = "未选地区"
NO_TOPIC = "（没有答上）"
TOP_TOPICS = 6
"""Topics drawn by name in the weekly plot; the rest are summed as 「其他」."""

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
             "DejaVu Sans"]
matplotlib.rcParams["font.sans-serif"] = CJK_FONTS + list(matplotlib.rcParams["font.sans-serif"])
matplotlib.rcParams["font.family"] = "sans-serif"
matplotlib.rcParams["axes.unicode_minus"] = False


@dataclass(frozen=True)
class Table:
    """One figure's numbers, as they are downloaded (``name``.csv)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)

    def to_csv(self) -> str:
        """CSV text (with a BOM when written by :meth:`write_csv`, so spreadsheet programs read the Chinese)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([spreadsheet_cell(c) for c in self.columns])
        writer.writerows([spreadsheet_cell(v) for v in row] for row in self.rows)  # no cell can be a formula
        return out.getvalue()

    def write_csv(self, folder: Path) -> Path:
        path = Path(folder) / f"{self.name}.csv"
        path.write_text(self.to_csv(), encoding="utf-8-sig")
        return path


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's figures. Rates are fractions (0–1); durations are minutes / hours."""

    weeks: list[str]
    asked: int
    refused: int
    feedback: int
    not_useful: int
    by_week: Table
    by_topic: Table
    by_province: Table
    need_vetting: Table
    reports: Table
    report_times: Table

    @property
    def refusal_rate(self) -> float | None:
        return self.refused / self.asked if self.asked else None

    @property
    def not_useful_rate(self) -> float | None:
        return self.not_useful / self.feedback if self.feedback else None

    def tables(self) -> list[Table]:
        return [self.by_week, self.by_topic, self.by_province, self.need_vetting, self.reports, self.report_times]

    def write_csvs(self, folder: Path) -> list[Path]:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return [t.write_csv(folder) for t in self.tables()]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _stamp(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _week_of(stamp: str) -> str:
    when = _stamp(stamp)
    return iso_week(when.date()) if when else iso_week(date.fromisoformat(stamp[:10]))


def build_dashboard(records: Records, *, topic_label: Callable[[str], str] | None = None, top_questions: int = 10,
                    now: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard from ``records``. ``topic_label`` names a topic id (a guide's or
    a document's) for people; ``now`` is when still-open reports are measured to (default: now)."""
    label = topic_label or (lambda topic: topic)
    asked = records.asked()
    feedback = records.feedback_rows()
    reports = records.reports()

    # -- questions by week, topic, province ------------------------------------------------------
    per_week: dict[str, Counter] = defaultdict(Counter)
    for a in asked:
        per_week[a.week]["asked"] += 1
        per_week[a.week]["refused"] += a.outcome == "refused"
    for f in feedback:
        week = _week_of(f["created_at"])
        per_week[week]["feedback"] += 1
        per_week[week]["not_useful"] += not f["useful"]
    for r in reports:
        per_week[_week_of(r.created_at)]["reports"] += 0  # a week with only reports still shows
    weeks = sorted(per_week)
    by_week = Table("asked_by_week", "每周提问、拒答率、「没用」率",
                    ("week", "asked", "refused", "refusal_rate", "feedback", "not_useful", "not_useful_rate"),
                    [(w, c["asked"], c["refused"], _rate(c["refused"], c["asked"]), c["feedback"], c["not_useful"],
                      _rate(c["not_useful"], c["feedback"])) for w, c in ((w, per_week[w]) for w in weeks)])

    topics = Counter((a.week, a.topic if a.outcome != "refused" and a.topic else "") for a in asked)
    by_topic = Table("asked_by_topic", "每周各主题提问数", ("week", "topic", "topic_name", "asked"),
                     sorted(((w, t, label(t) if t else NO_TOPIC, n) for (w, t), n in topics.items()), key=lambda r: (r[0], -r[3], r[1])))

    provinces: dict[str, Counter] = defaultdict(Counter)
    for a in asked:
        provinces[a.region or NO_REGION]["asked"] += 1
        provinces[a.region or NO_REGION]["refused"] += a.outcome == "refused"
    by_province = Table("asked_by_province", "各省提问数与拒答率", ("province", "asked", "refused", "refusal_rate"),
                        sorted(((p, c["asked"], c["refused"], _rate(c["refused"], c["asked"])) for p, c in provinces.items()),
                               key=lambda r: (-r[1], r[0])))

    # -- questions that most need a vetted answer -------------------------------------------------
    groups: dict[str, dict] = {}
    for item in records.queue():  # open items only: handled ones have had their answer
        key = question_key(item.question)
        if not key:
            continue
        g = groups.setdefault(key, {"question": redact(item.question), "regions": Counter(), "refused": 0, "not_useful": 0, "last": ""})
        g["refused" if item.kind == "refused" else "not_useful"] += 1
        g["regions"][item.region or NO_REGION] += 1
        g["last"] = max(g["last"], item.created_at[:10])
    ranked = sorted(groups.values(), key=lambda g: (-(g["refused"] + g["not_useful"]), g["question"]))[:top_questions]
    need_vetting = Table("need_vetting", "最需要审核答案的问题（已去除个人信息）",
                         ("question", "times", "refused", "not_useful", "regions", "last_day"),
                         [(g["question"], g["refused"] + g["not_useful"], g["refused"], g["not_useful"],
                           "、".join(r for r, _ in g["regions"].most_common()), g["last"]) for g in ranked])

    # -- reports against the promise --------------------------------------------------------------
    now = now or datetime.now().astimezone()
    timings = []
    for r in reports:
        created = _stamp(r.created_at)
        if created is None:
            continue
        first, closed = _stamp(r.first_response_at), _stamp(r.closed_at)
        respond_min = (first - created).total_seconds() / 60 if first else None
        close_h = (closed - created).total_seconds() / 3600 if closed else None
        waited_h = ((closed or _aware(now, created)) - created).total_seconds() / 3600
        timings.append({"week": iso_week(created.date()), "day": created.date().isoformat(), "status": r.status,
                        "respond_min": respond_min, "close_h": close_h, "open_h": waited_h})
    report_times = Table("report_times", "每条诉求的响应与办结用时（不含内容和联系方式）",
                         ("week", "day", "status", "minutes_to_first_response", "hours_to_close", "within_10_min", "closed_within_24_h"),
                         [(t["week"], t["day"], t["status"], _round(t["respond_min"], 1), _round(t["close_h"], 2),
                           _yes(t["respond_min"] is not None and t["respond_min"] <= RESPOND_WITHIN.total_seconds() / 60),
                           _yes(t["close_h"] is not None and t["close_h"] <= CLOSE_WITHIN.total_seconds() / 3600)) for t in timings])
    per_report_week: dict[str, list[dict]] = defaultdict(list)
    for t in timings:
        per_report_week[t["week"]].append(t)
    rows = []
    for week in sorted(per_report_week):
        ts = per_report_week[week]
        responded = [t["respond_min"] for t in ts if t["respond_min"] is not None]
        closed = [t["close_h"] for t in ts if t["close_h"] is not None]
        rows.append((week, len(ts), len(responded), _round(_median(responded), 1),
                     _rate(sum(m <= RESPOND_WITHIN.total_seconds() / 60 for m in responded), len(ts)),
                     len(closed), _round(_median(closed), 2),
                     _rate(sum(h <= CLOSE_WITHIN.total_seconds() / 3600 for h in closed), len(ts))))
    report_table = Table("reports_by_week", "每周诉求量、首次响应与办结用时（承诺：10分钟响应、24小时跟踪）",
                         ("week", "received", "responded", "median_minutes_to_first_response", "responded_within_10_min_rate",
                          "closed", "median_hours_to_close", "closed_within_24_h_rate"), rows)

    return Dashboard(weeks=weeks, asked=len(asked), refused=sum(a.outcome == "refused" for a in asked),
                     feedback=len(feedback), not_useful=sum(not f["useful"] for f in feedback), by_week=by_week,
                     by_topic=by_topic, by_province=by_province, need_vetting=need_vetting, reports=report_table,
                     report_times=report_times)


def _aware(now: datetime, like: datetime) -> datetime:
    if (now.tzinfo is None) == (like.tzinfo is None):
        return now
    return now.replace(tzinfo=like.tzinfo) if now.tzinfo is None else now.replace(tzinfo=None)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


# ---------------------------------------------------------------------------------------------
# Plots


def _figure(height: float = 3.2) -> Figure:
    fig = Figure(figsize=(7.2, height), dpi=110, layout="constrained")
    return fig


def _empty(ax, text: str = "还没有数据") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=13, color="#667", transform=ax.transAxes)
    ax.set_axis_off()


def plot_topics(board: Dashboard) -> Figure:
    """Questions per week, stacked by topic (the most asked topics by name, the rest as 其他)."""
    fig = _figure()
    ax = fig.add_subplot()
    if not board.by_topic.rows:
        _empty(ax)
        return fig
    totals = Counter()
    for _, _, name, n in board.by_topic.rows:
        totals[name] += n
    named = [name for name, _ in totals.most_common(TOP_TOPICS)]
    weeks = board.weeks
    stacks = {name: [0] * len(weeks) for name in named + ["其他"]}
    for week, _, name, n in board.by_topic.rows:
        stacks[name if name in named else "其他"][weeks.index(week)] += n
    bottom = [0] * len(weeks)
    for name, values in stacks.items():
        if not any(values):
            continue
        ax.bar(weeks, values, bottom=bottom, label=_short(name), width=0.6)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_title("每周提问数（按主题）")
    ax.set_ylabel("提问数")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.tick_params(axis="x", labelsize=8)
    return fig


def plot_provinces(board: Dashboard) -> Figure:
    fig = _figure(height=max(2.4, 0.32 * len(board.by_province.rows) + 1.0))
    ax = fig.add_subplot()
    if not board.by_province.rows:
        _empty(ax)
        return fig
    rows = list(reversed(board.by_province.rows))
    names = [r[0] for r in rows]
    ax.barh(names, [r[1] - r[2] for r in rows], color="#0b6b4f", label="答上")
    ax.barh(names, [r[2] for r in rows], left=[r[1] - r[2] for r in rows], color="#e0a060", label="拒答")
    ax.set_title("各省提问数")
    ax.set_xlabel("提问数")
    ax.legend(fontsize=8, frameon=False)
    return fig


def plot_rates(board: Dashboard) -> Figure:
    fig = _figure()
    ax = fig.add_subplot()
    rows = board.by_week.rows
    if not rows:
        _empty(ax)
        return fig
    weeks = [r[0] for r in rows]
    ax.plot(weeks, [_pct(r[3]) for r in rows], marker="o", color="#e0a060", label="拒答率")
    ax.plot(weeks, [_pct(r[6]) for r in rows], marker="s", color="#d9534f", label="「没用」率（占反馈）")
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_title("拒答率与「没用」率（每周）")
    ax.legend(fontsize=8, frameon=False)
    ax.tick_params(axis="x", labelsize=8)
    return fig


def plot_reports(board: Dashboard) -> Figure:
    """Reports per week; median minutes to first response against 10 min; median hours to close against 24 h."""
    fig = _figure(height=3.6)
    rows = board.reports.rows
    if not rows:
        _empty(fig.add_subplot(), "还没有诉求")
        return fig
    weeks = [r[0] for r in rows]
    left, mid, right = fig.subplots(1, 3)
    left.bar(weeks, [r[1] for r in rows], color="#9fb3aa", label="收到")
    left.bar(weeks, [r[5] for r in rows], color="#0b6b4f", width=0.5, label="已办结")
    left.set_title("诉求量")
    left.legend(fontsize=7, frameon=False)
    mid.bar(weeks, [r[3] or 0 for r in rows], color="#1a73e8")
    mid.axhline(RESPOND_WITHIN.total_seconds() / 60, color="#d93025", linestyle="--", label="承诺 10 分钟")
    mid.set_title("首次响应（中位数，分钟）")
    mid.legend(fontsize=7, frameon=False)
    right.bar(weeks, [r[6] or 0 for r in rows], color="#7a5600")
    right.axhline(CLOSE_WITHIN.total_seconds() / 3600, color="#d93025", linestyle="--", label="承诺 24 小时")
    right.set_title("办结（中位数，小时）")
    right.legend(fontsize=7, frameon=False)
    for ax in (left, mid, right):
        ax.tick_params(axis="x", labelsize=7, rotation=45)
    return fig


def _pct(rate: float | None) -> float:
    return float("nan") if rate is None else rate * 100


def _short(name: str, limit: int = 16) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


__all__ = ["Dashboard", "Table", "build_dashboard", "plot_topics", "plot_provinces", "plot_rates", "plot_reports",
           "RESPOND_WITHIN", "CLOSE_WITHIN"]
