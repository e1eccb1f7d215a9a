"""An answer as HTML for the phone: the conclusion first and large, then the points, the 行动清单 as a
checklist, the triage question as buttons, the hotlines as ``tel:`` links and the citations as
collapsed cards that open on tap.

Every piece of text that comes from the bot, the catalog or a user is HTML-escaped here; links are
kept only when they are ``http(s)`` (sources) or digits (``tel:``). Buttons carry ``data-act``
attributes that the page's one click handler turns into Gradio events (see :mod:`bot.web`).
Answers are rendered from their JSON form (``Answer.to_json()``), so a live answer and a vetted one
saved earlier look the same. Fields the bot does not give yet (conclusion, points, actions, triage)
are optional.
"""
from __future__ import annotations

import html
import re


STATUS_CLASS = {"现行有效": "ok", "试行": "trial"}


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def safe_url(url: str | None) -> str | None:
    """An official link, only when it is plain http(s) (never ``javascript:`` or the like)."""
    url = (url or "").strip()
    return url if re.match(r"https?://[^\s\"'<>]+$", url) else None


def tel_href(referral: dict) -> str | None:
    raw = referral.get("tel") or referral.get("phone") or ""
    digits = re.sub(r"[^0-9+]", "", str(raw).removeprefix("tel:"))
    return f"tel:{digits}" if digits else None


def conclusion_of(answer: dict) -> str:
    """The one sentence shown first: the bot's own, or one made from the outcome."""
    if answer.get("conclusion"):
        return answer["conclusion"]
    outcome = answer.get("outcome")
    if outcome == "answered":
        return "找到了和你的问题直接相关的规定，见下面的依据。"
    if outcome == "partial":
        return "没有完全对应的规定，下面几条可能相关，请对照自己的情况看。"
    first = (answer.get("answer") or "").split("\n")[0]
    return first.split("我不想猜测")[0].strip() or "没有找到能回答这个问题的规定。"


def points_of(answer: dict) -> list[str]:
    if answer.get("points"):
        return list(answer["points"])
    return [f"《{c['title']}》{c['article']}[{c['n']}]" for c in answer.get("citations") or []]


def _with_markers(text: str, turn: int) -> str:
    """Escaped text whose ``[n]`` markers become links that open citation n."""
    return re.sub(r"\[(\d{1,2})\]", lambda m: f'<a class="cite-ref" href="#c{turn}-{m.group(1)}" data-open="c{turn}-{m.group(1)}">[{m.group(1)}]</a>', esc(text))


def citation_origin(c: dict) -> str:
    """How a citation was found, for staff: its similarity when retrieval found it; 「办事指南引用」
    for an article a 办事指南 names (looked up, not searched: it has no similarity); the catalog
    card of a document with neither text nor notes."""
    if c.get("article") == "目录信息":
        return "目录信息（没有全文和要点）"
    if not c.get("score"):
        return "办事指南引用"
    return f"相似度 {c['score']:.3f}"


def citation_card(c: dict, *, turn: int, staff: bool = False) -> str:
    status = c.get("status") or ""
    meta = [
        ("文号", c.get("doc_no")),
        ("条款", c.get("article")),
        ("页码", f"第{c['page']}页" if c.get("page") else None),
        ("施行日期", c.get("effective_from")),
        ("状态", status),
        ("效力", c.get("authority")),
        ("适用地区", c.get("region")),
    ]
    if staff:
        meta.append(("来源", citation_origin(c)))
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in meta if v)
    if c.get("kind", "原文") == "原文":
        body = f'<div class="kind">原文摘录</div><blockquote class="quote">{esc((c.get("quote") or "").strip())}</blockquote>'
    else:
        label = c.get("kind_label") or "要点（非原文，全文未收录）"
        body = f'<div class="kind summary-kind">{esc(label)}</div><p class="summary">{esc(c.get("summary"))}</p>'
    note = f'<p class="note">{esc(c["note"])}</p>' if c.get("note") else ""
    url = safe_url(c.get("source_url"))
    link = f'<a class="source" href="{esc(url)}" target="_blank" rel="noopener noreferrer">查看官方原文 ↗</a>' if url else ""
    badge = f'<span class="status {STATUS_CLASS.get(status, "old")}">{esc(status)}</span>' if status else ""
    return (
        f'<details class="cite" id="c{turn}-{c["n"]}"><summary><span class="n">[{c["n"]}]</span> '
        f'<span class="title">《{esc(c.get("title"))}》{esc(c.get("article"))}</span> {badge}</summary>'
        f'<div class="cite-body"><dl>{rows}</dl>{body}{note}{link}</div></details>'
    )


def actions_html(actions: dict | None, turn: int) -> str:
    if not actions:
        return ""
    items = []
    for i, step in enumerate(actions.get("steps") or []):
        extra = " · ".join(x for x in (step.get("who"), f"期限：{step['deadline']}" if step.get("deadline") else None) if x)
        cite = f' <a class="cite-ref" href="#c{turn}-{step["cite"]}" data-open="c{turn}-{step["cite"]}">[{step["cite"]}]</a>' if step.get("cite") else ""
        items.append(f'<li><label><input type="checkbox" id="a{turn}-{i}"> <span>{esc(step.get("what"))}{cite}'
                     f'{f"<small>{esc(extra)}</small>" if extra else ""}</span></label></li>')
    evidence = actions.get("evidence") or []
    ev = ""
    if evidence:
        ev = '<h4>要准备的证据</h4><ul class="checklist">' + "".join(
            f'<li><label><input type="checkbox" id="e{turn}-{i}"> <span>{esc(e)}</span></label></li>' for i, e in enumerate(evidence)) + "</ul>"
    steps = f'<ul class="checklist">{"".join(items)}</ul>' if items else ""
    return f'<section class="actions"><h3>行动清单</h3>{steps}{ev}</section>' if (steps or ev) else ""


def triage_html(triage: dict | None, *, active: bool, choice_href=None) -> str:
    """The question the bot asks back, its choices as buttons (the page's click handler asks them),
    or — with ``choice_href`` (a choice → its URL; the page without JavaScript) — as plain links."""
    if not triage or not triage.get("ask"):
        return ""
    if not triage.get("choices"):  # a figure only the worker knows (the local average wage): asked, not guessed
        return f'<section class="triage"><p class="ask">{esc(triage.get("ask"))}</p></section>'
    if choice_href is not None:
        buttons = "".join(f'<a class="choice" href="{esc(choice_href(choice))}">{esc(choice)}</a>' for choice in triage["choices"])
    else:
        buttons = "".join(
            f'<button class="choice" data-act="ask" data-text="{esc(choice)}"{"" if active else " disabled"}>{esc(choice)}</button>'
            for choice in triage["choices"])
    return f'<section class="triage"><p class="ask">{esc(triage.get("ask"))}</p><div class="choices">{buttons}</div></section>'


def place_html(place: dict) -> str:
    """A service point of the worker's city under a referral: name (and 「第三方整理，请先电话确认」 for
    a listing), address, hours, a tap-to-call, and links that open 高德 / 百度 / 腾讯 on the place
    (a search by its name in its city when its page gave no coordinates), plus a plain web map."""
    listing = place.get("source_type") == "listing"
    lines = [f'<b>{esc(place.get("name"))}</b>' + (f' <small class="listing">⚠ {LISTING_MARK}</small>' if listing else "")]
    lines += [f"<small>{esc(place[k])}</small>" for k in ("address", "hours") if place.get(k)]
    links = []
    if href := tel_href(place):
        links.append(f'<a href="{esc(href)}">拨打 {esc(href[4:])}</a>')
    else:
        links.append(f'<a href="tel:12333">{NO_PHONE}</a>')
    navigation = place.get("navigation") or {}
    for label, key in (("高德", "amap"), ("百度", "baidu"), ("腾讯", "qq"), ("网页地图", "web")):
        if url := nav_url(navigation.get(key)):
            links.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{label}</a>')
    if links:
        lines.append(f'<span class="links">{" · ".join(links)}</span>')
    return f'<li class="place">{"".join(lines)}</li>'


def referrals_html(referrals: list[dict]) -> str:
    if not referrals:
        return ""
    items = []
    for r in referrals:
        href = tel_href(r)
        places = r.get("places") or []
        near = (f'<details class="places"><summary>当地办事地点（{len(places)}）</summary><ul>{"".join(place_html(p) for p in places)}</ul></details>'
                if places else (f'<p class="places-note">{esc(r["places_note"])}</p>' if r.get("places_note") else ""))
        if href:
            items.append(f'<a class="tel" href="{esc(href)}">拨打 {esc(r.get("name"))}<small>{esc(r.get("what"))}</small></a>{near}')
        else:
            items.append(f'<div class="where">{esc(r.get("name"))}<small>{esc(r.get("what"))}</small>{near}</div>')
    return f'<section class="hotlines"><h3>可以找谁</h3>{"".join(items)}</section>'


def feedback_html(turn: int, given: str | None) -> str:
    if given:
        return f'<div class="fb done">谢谢，你的反馈（{esc(given)}）已记录。</div>'
    return (f'<div class="fb"><span>这个回答有用吗？</span>'
            f'<button class="fb-btn" data-act="fb" data-turn="{turn}" data-text="有用">有用</button>'
            f'<button class="fb-btn" data-act="fb" data-turn="{turn}" data-text="没用">没用</button></div>')


def answer_html(answer: dict, *, turn: int, vetted: dict | None = None, feedback: str | None = None,
                final: bool = True, latest: bool = True, staff: bool = False, choice_href=None) -> str:
    """One answer card. ``final`` False while it is still streaming (no feedback buttons yet);
    ``choice_href`` for a page without JavaScript (triage choices as links, no feedback buttons)."""
    outcome = answer.get("outcome", "")
    mark = ""
    if vetted:
        mark = f'<div class="vetted">✓ 站点已审核 <small>{esc(vetted.get("at", "")[:10])}</small></div>'
    points = "".join(f"<li>{_with_markers(p, turn)}</li>" for p in points_of(answer))
    cites = "".join(citation_card(c, turn=turn, staff=staff) for c in answer.get("citations") or [])
    parts = [
        mark,
        f'<p class="conclusion">{esc(conclusion_of(answer))}</p>',
        f'<ol class="points">{points}</ol>' if points else "",
        actions_html(answer.get("actions"), turn),
        triage_html(answer.get("triage"), active=latest and final, choice_href=choice_href),
        f'<section class="sources"><h3>依据（点开看原文）</h3>{cites}</section>' if cites else "",
        referrals_html(answer.get("referrals") or []),
        f'<details class="full"><summary>完整回答文字</summary><p class="plain">{esc(answer.get("answer"))}</p></details>' if answer.get("answer") else "",
        "" if staff or choice_href is not None else (feedback_html(turn, feedback) if final else '<div class="fb pending">正在整理回答…</div>'),
    ]
    return f'<section class="answer {esc(outcome)}" data-turn="{turn}">{"".join(parts)}</section>'


def transcript_html(turns: list[dict], *, examples: list[str] = (), staff: bool = False) -> str:
    """All turns of this browser session, newest last; the examples when there are none yet."""
    if not turns:
        buttons = "".join(f'<button class="example" data-act="ask" data-text="{esc(q)}">{esc(q)}</button>' for q in examples)
        return (f'<div class="empty"><p>遇到工伤、欠薪、合同、社保的问题，直接用大白话问。回答只来自法规原文和政策要点，每条都有出处。</p>'
                f'<p class="try">可以这样问：</p><div class="examples">{buttons}</div></div>')
    out = []
    for i, t in enumerate(turns):
        out.append(f'<article class="turn"><h2 class="lq-sr">第 {i + 1} 问</h2><div class="q"><span>你问</span>{esc(t["question"])}</div>'
                   + answer_html(t["answer"], turn=i, vetted=t.get("vetted"), feedback=t.get("feedback"),
                                 final=t.get("final", True), latest=i == len(turns) - 1, staff=staff)
                   + "</article>")
    return "".join(out)


def notice_html(message: str, *, kind: str = "error") -> str:
    return f'<div class="notice {esc(kind)}" role="alert">{esc(message)}</div>' if message else ""


CSS = """
:root { --lq-accent: #0b6b4f; }
.gradio-container { max-width: 680px !important; margin: 0 auto !important; font-size: 18px; padding-left: 10px !important; padding-right: 10px !important; }
.gradio-container main, .gradio-container .main, .gradio-container .wrap.fillable { padding-left: 0 !important; padding-right: 0 !important; }
footer { display: none !important; }
#lq-header h1 { font-size: 1.5rem; margin: 0.2rem 0; }
#lq-header p { margin: 0; color: #555; font-size: 1rem; }
.lq-big button, button.lq-big, .lq-big { min-height: 52px; font-size: 1.1rem !important; }
#lq-setup .wrap label, #lq-staff-region .wrap label { min-height: 48px; min-width: 4.2em; justify-content: center; font-size: 1.05rem; }
#lq-profile { font-size: 1rem; }
#lq-profile .where { font-weight: 600; }
#lq-question textarea { font-size: 1.1rem !important; }
.notice { padding: 12px 14px; border-radius: 10px; margin: 6px 0; font-size: 1.05rem; }
.notice.error { background: #fff1f0; border: 1px solid #ffb3ad; color: #8a1c12; }
.notice.ok { background: #eefaf3; border: 1px solid #9bd8b5; color: #114d2e; }
#lq-transcript .empty p { margin: 0.4rem 0; line-height: 1.6; }
#lq-transcript .examples { display: flex; flex-direction: column; gap: 10px; margin-top: 8px; }
#lq-transcript button { font: inherit; cursor: pointer; }
#lq-transcript button.example { text-align: left; padding: 14px 16px; border-radius: 12px; border: 1px solid #c8d7d0; background: #f5faf8; min-height: 52px; }
#lq-transcript .turn { margin: 14px 0 22px; }
#lq-transcript .q { background: #eef3ff; border-radius: 12px; padding: 10px 14px; margin-bottom: 10px; line-height: 1.5; }
#lq-transcript .q span { display: block; font-size: 1rem; color: #556; }
#lq-transcript .answer { border: 1px solid #dde3e0; border-radius: 14px; padding: 14px; background: #fff; }
#lq-transcript .answer.refused { border-color: #f0c9a0; background: #fffaf3; }
#lq-transcript .conclusion { font-size: 1.35rem; font-weight: 700; line-height: 1.45; margin: 0 0 10px; color: #13251d; }
#lq-transcript .vetted { display: inline-block; background: #e5f6ec; color: #0b6b4f; border-radius: 999px; padding: 4px 12px; font-weight: 600; margin-bottom: 8px; }
#lq-transcript .points { padding-left: 1.3em; margin: 0 0 12px; line-height: 1.6; }
#lq-transcript .points li { margin: 4px 0; }
#lq-transcript a.cite-ref { text-decoration: none; font-weight: 600; color: var(--lq-accent); padding: 0 2px; }
#lq-transcript h3 { font-size: 1.05rem; margin: 14px 0 6px; }
#lq-transcript h4 { font-size: 1rem; margin: 10px 0 4px; }
#lq-transcript .checklist { list-style: none; padding: 0; margin: 0; }
#lq-transcript .checklist li { margin: 0; }
#lq-transcript .checklist label { display: flex; gap: 10px; align-items: center; min-height: 44px; padding: 4px 0; cursor: pointer; line-height: 1.45; }
#lq-transcript .checklist input { width: 24px; height: 24px; flex: none; margin: 0; accent-color: var(--lq-accent); }
#lq-transcript .checklist input:checked + span { color: #667; text-decoration: line-through; }
#lq-transcript .checklist small { display: block; color: #555; }
#lq-transcript .triage .ask { font-weight: 600; margin: 12px 0 6px; }
#lq-transcript .choices { display: flex; flex-wrap: wrap; gap: 10px; }
#lq-transcript button.choice { min-height: 48px; padding: 8px 18px; border-radius: 10px; border: 2px solid var(--lq-accent); background: #fff; color: var(--lq-accent); font-weight: 600; }
#lq-transcript button:disabled { opacity: 0.5; }
#lq-transcript details.cite { border: 1px solid #dfe5e2; border-radius: 10px; margin: 8px 0; background: #fafcfb; }
#lq-transcript details.cite > summary { padding: 12px; min-height: 48px; cursor: pointer; line-height: 1.5; list-style-position: inside; }
#lq-transcript details.cite[open] > summary { border-bottom: 1px solid #e4e9e6; }
#lq-transcript .cite .n { color: var(--lq-accent); font-weight: 700; }
#lq-transcript .status { font-size: 1rem; padding: 1px 8px; border-radius: 999px; white-space: nowrap; }
#lq-transcript .status.ok { background: #e5f6ec; color: #0b6b4f; }
#lq-transcript .status.trial { background: #fff4d6; color: #7a5600; }
#lq-transcript .status.old { background: #fde8e6; color: #8a1c12; }
#lq-transcript .cite-body { padding: 8px 12px 12px; }
#lq-transcript dl { display: grid; grid-template-columns: 5em 1fr; gap: 2px 8px; margin: 0 0 8px; font-size: 1rem; }
#lq-transcript dt { color: #667; }
#lq-transcript dd { margin: 0; }
#lq-transcript .kind { font-size: 1rem; color: #445; font-weight: 600; }
#lq-transcript .summary-kind { color: #7a5600; }
#lq-transcript blockquote.quote { margin: 6px 0; padding: 8px 12px; border-left: 4px solid var(--lq-accent); background: #fff; white-space: pre-wrap; line-height: 1.6; }
#lq-transcript p.summary { white-space: pre-wrap; line-height: 1.6; margin: 6px 0; }
#lq-transcript .note { color: #8a4b00; }
#lq-transcript a.source { display: inline-block; margin-top: 6px; padding: 10px 0; color: var(--lq-accent); }
#lq-transcript .hotlines a.tel, #lq-transcript .hotlines .where { display: block; padding: 12px 14px; border-radius: 10px; margin: 6px 0; line-height: 1.4; text-decoration: none; }
#lq-transcript .hotlines a.tel { background: var(--lq-accent); color: #fff; font-weight: 700; font-size: 1.1rem; }
#lq-transcript .hotlines .where { background: #f3f5f4; }
#lq-transcript .hotlines small { display: block; font-weight: 400; font-size: 1rem; color: inherit; opacity: 0.85; }
#lq-transcript .hotlines a.tel, #lq-transcript .hotlines a.tel small { color: #fff !important; text-align: left; }
#lq-transcript details.full { margin-top: 10px; font-size: 1rem; color: #444; }
#lq-transcript details.full summary { min-height: 40px; padding: 8px 0; cursor: pointer; }
#lq-transcript p.plain { white-space: pre-wrap; line-height: 1.6; }
#lq-transcript .fb { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin-top: 14px; }
#lq-transcript button.fb-btn { min-height: 48px; padding: 8px 18px; border-radius: 10px; border: 1px solid #b9c7c0; background: #fff; font-size: 1.05rem; }
#lq-transcript .fb.done { color: #0b6b4f; }
#lq-transcript .fb.pending { color: #667; }
.lq-small { font-size: 1rem; color: #555; }
.lq-small a { color: var(--lq-accent); }
"""

CLICK_JS = """
element.addEventListener('click', (event) => {
  const ref = event.target.closest('[data-open]');
  if (ref) {
    const card = element.querySelector('#' + CSS.escape(ref.dataset.open));
    if (card) { event.preventDefault(); card.open = true; card.scrollIntoView({behavior: 'smooth', block: 'center'}); }
    return;
  }
  const button = event.target.closest('button[data-act]');
  if (!button || button.disabled) return;
  event.preventDefault();
  element.querySelectorAll('button[data-act]').forEach((b) => { b.disabled = true; });
  trigger('click', {act: button.dataset.act, turn: button.dataset.turn || '', text: button.dataset.text || ''});
});
let shown = element.querySelectorAll('.turn').length;
watch('value', () => {
  const turns = element.querySelectorAll('.turn');
  if (turns.length > shown) { turns[turns.length - 1].scrollIntoView({behavior: 'smooth', block: 'start'}); }
  shown = turns.length;
});
"""
"""One delegated click handler for the transcript: ``[n]`` opens citation n; a button with
``data-act`` (example, triage choice, feedback) becomes a Gradio ``click`` event with its data."""
CSS += """
.lq-table { border-collapse: collapse; width: 100%; font-size: 1rem; display: block; overflow-x: auto; margin: 6px 0 12px; }
.lq-table th, .lq-table td { border: 1px solid #dfe5e2; padding: 6px 8px; text-align: left; vertical-align: top; }
.lq-table th { background: #f3f6f5; white-space: nowrap; }
.lq-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.lq-table td.stale { color: #8a1c12; }
.lq-table td.ok { color: #0b6b4f; }
"""
CSS += """
#lq-province .wrap { display: grid !important; grid-template-columns: repeat(4, 1fr); gap: 6px; }
#lq-province .wrap label { min-width: 0 !important; padding-left: 6px !important; padding-right: 6px !important; }
#lq-seen, #lq-queue-view, #lq-reports-view { max-width: 100%; overflow-wrap: anywhere; }
.lq-facts { display: grid; grid-template-columns: 4.5em 1fr; gap: 4px 10px; font-size: 1rem; }
.lq-facts dt { color: #667; }
.lq-facts dd { margin: 0; }
.lq-list { padding-left: 1.4em; margin: 4px 0 12px; }
.lq-list li { margin: 6px 0; line-height: 1.45; }
.lq-list small { display: block; color: #556; font-variant-numeric: tabular-nums; }
.lq-list .tag { font-size: 1rem; color: #445; background: #eef2f0; border-radius: 6px; padding: 0 6px; }
.lq-card { border: 1px solid #dfe5e2; border-left: 4px solid #9fb3aa; border-radius: 10px; padding: 10px 12px; margin: 8px 0; background: #fff; }
.lq-card.refused { border-left-color: #e0a060; }
.lq-card.bad { border-left-color: #d9534f; }
.lq-card .head { font-size: 1rem; margin-bottom: 6px; }
.lq-card .state { font-size: 1rem; background: #e5f6ec; color: #0b6b4f; border-radius: 999px; padding: 1px 8px; margin-left: 6px; }
.lq-card dl { display: grid; grid-template-columns: 5em 1fr; gap: 2px 8px; margin: 0; font-size: 1rem; }
.lq-card dt { color: #667; }
.lq-card dd { margin: 0; }
.lq-card .stale { color: #8a1c12; }
.lq-card .ok { color: #0b6b4f; }
#lq-header a { color: var(--lq-accent); margin-left: 6px; white-space: nowrap; }
"""
CSS += """
.lq-chips .wrap label { justify-content: center; text-align: center; white-space: nowrap; position: relative; }
.lq-chips .wrap label input[type=radio] { position: absolute; opacity: 0; width: 1px; height: 1px; margin: 0; }
.lq-chips .wrap label.selected { background: var(--lq-accent) !important; color: #fff !important; border-color: var(--lq-accent) !important; font-weight: 600; }
.lq-chips .wrap label:has(input:focus-visible) { outline: 3px solid #7cc4a8; }
"""
CSS += """
#lq-transcript details.places { margin: 6px 0 0; font-size: 1rem; }
#lq-transcript details.places summary { min-height: 40px; padding: 8px 0; cursor: pointer; color: var(--lq-accent); }
#lq-transcript details.places ul { list-style: none; padding: 0; margin: 0; }
#lq-transcript li.place { padding: 8px 0; border-top: 1px solid #e2e8e5; line-height: 1.45; }
#lq-transcript li.place small { display: block; color: #444; }
#lq-transcript li.place small.listing { color: #8a4b00; }
#lq-transcript p.places-note { margin: 4px 0 0; font-size: 1rem; color: #556; }
#lq-transcript li.place .links a { display: inline-block; padding: 6px 0; color: var(--lq-accent); }
"""


# -- 政策直达 and 服务站点 panels of the worker page ------------------------------------------------

APP_LINK = re.compile(r"(?:baidumap|qqmap|androidamap|iosamap)://[^\s\"'<>]+$")
LISTING_MARK = "第三方整理，请先电话确认"


def nav_url(url: str | None) -> str | None:
    """A map link: http(s), or one of the map apps' own schemes (高德 / 百度 / 腾讯); nothing else."""
    url = (url or "").strip()
    return url if safe_url(url) or APP_LINK.match(url) else None


NOTE_KIND = "要点（非原文）"


def policy_dates(item) -> str:
    """The policy's own dates (「2025-04-22 发布 · 2025-07-01 起施行」), never the day the catalog learned of it."""
    effective = item.effective or item.effective_from
    parts = [f"{item.date.isoformat()} 发布"]
    if effective and effective != item.date:
        parts.append(f"{effective.isoformat()} 起施行")
    return " · ".join(parts)


def feed_card(item, n: int, *, summary: str | None = None) -> str:
    """One 新政策 item: its kind and the policy's own dates, what changed (the province fact when
    there is one, e.g. 「新增…浙江…」), a plain one-line summary when the project has one (a 要点,
    marked so; never catalog metadata), and its citation card (closed; inside, exactly what changed)."""
    card = {**item.card(), "n": n, "article": "", "kind": item.summary_kind, "summary": item.headline, "kind_label": "这次的变化"}
    line = f'<p class="one-line">{esc(summary)} <small class="src">（{NOTE_KIND}）</small></p>' if summary else ""
    return (f'<li class="news-item"><div class="headline"><span class="label">{esc(item.label)}</span> '
            f'<small class="when">{esc(policy_dates(item))}</small></div><p class="change">{esc(item.headline)}</p>{line}'
            f'{citation_card(card, turn="news")}</li>')


def news_html(items: list, *, since: str | None, region: str | None, job: str | None, feed_urls: dict[str, str] | None = None,
              limit: int = 8, error: str | None = None, summaries: dict[str, str | None] | None = None) -> str:
    """The 「新政策」 panel: the items since the last visit (``since``; None = first visit, the newest
    shown), each with its summary and card, and the feed links for this choice. ``summaries``: the
    plain line per item id (default: the item's own 要点 line; none for catalog metadata)."""
    if summaries is None:
        summaries = {i.id: i.summary if i.summary_kind == NOTE_KIND else None for i in items}
    where = f"{esc(region or '全国')} · {esc(job or '全部工作')}"
    if error:
        body = f'<p class="news-none">{esc(error)}</p>'
    elif not items:
        body = f'<p class="news-none">自上次来访（{esc(since)}）以来，没有和你相关的新政策。</p>' if since else '<p class="news-none">暂时没有和你相关的政策变化。</p>'
    else:
        lead = f"自上次来访（{esc(since)}）以来有 {len(items)} 条新变化：" if since else f"和你相关的最近 {min(limit, len(items))} 条政策变化："
        more = f'<p class="lq-small">还有 {len(items) - limit} 条，见下面的订阅链接。</p>' if len(items) > limit else ""
        body = f'<p class="news-lead">{lead}</p><ol class="news">{"".join(feed_card(i, n, summary=summaries.get(i.id)) for n, i in enumerate(items[:limit], start=1))}</ol>{more}'
    links = ""
    if feed_urls:
        links = ('<p class="feed-links lq-small">订阅（给工会公众号、站点屏幕用）：'
                 + " · ".join(f'<a href="{esc(u)}" target="_blank" rel="noopener">{esc(k)}</a>' for k, u in feed_urls.items()) + "</p>")
    elif not job:
        links = '<p class="lq-small">选了工作以后，可以订阅这份清单（Atom / JSON）。</p>'
    return f'<div class="lq-panel" id="lq-news-list"><p class="news-where">{where}</p>{body}{links}</div>'


NO_PHONE = "电话请打12333查询"
UNPLACED = "位置未知"


def service_point_html(point, *, n: int, distance_m: float | None = None, estimated: bool = False, unplaced: bool = False,
                       staff: bool = False) -> str:
    """One service point: name, kind, address, hours; a big tap-to-call (12333 when the source gave
    no phone); 高德 / 百度 / 腾讯 and a web map; a listing's 「请先电话确认」 mark; the page its facts
    were read on and the day. The research note (how trustworthy the source is) only for ``staff``."""
    from corpus.services import navigation_links

    links = navigation_links(point)
    head = f'<b>{n}. {esc(point.name)}</b> <span class="tag">{esc(point.kind_label)}</span>'
    if distance_m is not None:
        head += f' <span class="dist">{esc(_distance(distance_m, estimated=estimated))}</span>'
    elif unplaced:
        head += f' <span class="dist unplaced">{UNPLACED}</span>'
    rows = [f'<div class="head">{head}</div>']
    if point.source_type == "listing":
        rows.append(f'<div class="listing">⚠ {LISTING_MARK}</div>')
    rows += [f'<div class="line"><span>{k}</span>{esc(v)}</div>' for k, v in (("地址", point.address), ("时间", point.hours)) if v]
    if staff and point.note:
        rows.append(f'<div class="line note"><span>核实备注</span>{esc(point.note)}</div>')
    actions = []
    tel = links.get("tel")
    if tel and re.fullmatch(r"tel:\+?\d{3,15}", tel):
        actions.append(f'<a class="call" href="{esc(tel)}">拨打 {esc(point.phone)}</a>')
    else:
        actions.append(f'<a class="call" href="tel:12333">{NO_PHONE}</a>')
    nav = [(label, nav_url(links.get(key))) for label, key in (("高德", "amap"), ("百度", "baidu"), ("腾讯", "qq"), ("网页地图", "web"))]
    actions.append('<span class="nav-label">用地图导航（打开手机上的地图 App）：</span><span class="nav">' + "".join(
        f'<a class="map" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>' for label, url in nav if url) + "</span>")
    rows.append(f'<div class="actions">{"".join(actions)}</div>')
    source = safe_url(point.source_url)
    checked = point.checked.isoformat()
    rows.append(f'<div class="source lq-small">'
                + (f'<a href="{esc(source)}" target="_blank" rel="noopener noreferrer">信息来源</a>' if source else "信息来源不明")
                + f" · 核实于 {esc(checked)}</div>")
    return f'<li class="point{" listing" if point.source_type == "listing" else ""}">{"".join(rows)}</li>'


def _distance(metres: float, *, estimated: bool = False) -> str:
    """「约 850 米」, 「约 3.2 公里」; an estimate from a district's centre is rounded to whole
    kilometres and says so (「估算约 3 公里」), since it can be off by the district's size."""
    if estimated:
        return f"估算约 {max(1, round(metres / 1000))} 公里（按所在区估算）"
    return f"约 {metres:.0f} 米" if metres < 1000 else f"约 {metres / 1000:.1f} 公里"


def services_html(points: list, *, place: str | None, message: str | None = None, distances: list[float | None] | None = None,
                  map_svg: str = "", estimated: set[str] | frozenset[str] = frozenset(), unknown: set[str] | frozenset[str] = frozenset(),
                  staff: bool = False) -> str:
    """The 服务站点 panel: ``message`` first (why the list is what it is), the static map when any
    point has coordinates, then the points. No points: say so and point to 12333."""
    parts = [f'<p class="svc-note">{esc(message)}</p>' if message else ""]
    if not points:
        parts.append(f'<p class="svc-none">目录里还没有{esc(place or "你所在地区")}的服务站点。'
                     f'可以拨打 <a class="call" href="tel:12333">12333</a>（人社服务热线）问最近的仲裁院、劳动监察和社保经办地点。</p>')
        return f'<div class="lq-panel" id="lq-services-list">{"".join(parts)}</div>'
    if map_svg:
        hollow = ' 空心圆圈的位置按所在区估算（来源页面没有给准确位置）。' if 'class="estimated"' in map_svg else ""
        parts.append(f'<div class="svc-map" aria-hidden="false">{map_svg}<p class="lq-small">示意图，只表示相对位置，不是地图。{hollow}</p></div>')
    items = "".join(service_point_html(p, n=i, distance_m=distances[i - 1] if distances else None, estimated=p.id in estimated,
                                       unplaced=p.id in unknown, staff=staff)
                    for i, p in enumerate(points, start=1))
    parts.append(f'<ol class="points-list">{items}</ol>')
    parts.append('<p class="lq-small">地址、电话以来源页面为准；出发前最好先打电话问清楚办公时间。急事拨 '
                 '<a href="tel:12333">12333</a>。</p>')
    return f'<div class="lq-panel" id="lq-services-list">{"".join(parts)}</div>'


CSS += "\n".join(line.replace("#lq-transcript", ".lq-panel") for line in CSS.splitlines()
                 if line.startswith("#lq-transcript") and any(k in line for k in ("details.cite", ".cite", ".status", " dl ", " dt ", " dd ",
                                                                                   ".kind", ".summary", "quote", ".note", "a.source", "p.summary")))
CSS += """
.lq-panel { font-size: 1rem; line-height: 1.5; }
.lq-panel .news-where { font-weight: 600; margin: 0 0 4px; }
.lq-panel ol.news, .lq-panel ol.points-list { list-style: none; padding: 0; margin: 0; }
.lq-panel li.news-item, .lq-panel li.point { border-top: 1px solid #e2e8e5; padding: 10px 0; }
.lq-panel .headline .label { background: #e5f6ec; color: #0b6b4f; border-radius: 999px; padding: 1px 8px; font-size: 1rem; font-weight: 600; }
.lq-panel .headline small { color: #667; margin-left: 4px; }
.lq-panel p.one-line { margin: 6px 0; font-size: 1.02rem; }
.lq-panel p.change { margin: 6px 0 2px; font-weight: 600; }
.lq-panel p.one-line small.src { color: #7a5600; font-size: 1rem; white-space: nowrap; }
.lq-panel .news-none, .lq-panel .svc-none, .lq-panel .svc-note { background: #f3f5f4; border-radius: 10px; padding: 10px 12px; margin: 6px 0; }
.lq-panel .tag { font-size: 1rem; color: #445; background: #eef2f0; border-radius: 6px; padding: 0 6px; }
.lq-panel .dist { font-size: 1rem; color: #1a73e8; font-weight: 600; }
.lq-panel .listing { color: #8a4b00; background: #fff4d6; border-radius: 8px; padding: 2px 8px; margin: 4px 0; font-size: 1rem; display: inline-block; }
.lq-panel .line { font-size: 1rem; }
.lq-panel .line span { color: #667; margin-right: 6px; }
.lq-panel .actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0 4px; }
.lq-panel a.call { display: inline-block; background: var(--lq-accent); color: #fff !important; border-radius: 10px; padding: 10px 14px; font-weight: 700; text-decoration: none; min-height: 44px; box-sizing: border-box; }
.lq-panel .nav-label { width: 100%; font-size: 1rem; color: #556; margin-top: 2px; }
.lq-panel .nav { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; width: 100%; }
.lq-panel a.map { display: block; text-align: center; border: 1px solid var(--lq-accent); color: var(--lq-accent); border-radius: 10px; padding: 10px 2px; min-height: 44px; box-sizing: border-box; text-decoration: none; white-space: nowrap; }
.lq-panel .no-phone { color: #667; font-size: 1rem; }
.lq-panel .source a { color: var(--lq-accent); }
.lq-panel .svc-map svg { width: 100%; height: auto; max-width: 420px; }
.lq-panel .svc-none a.call { padding: 4px 10px; min-height: 0; }
.lq-hidden { display: none !important; }
"""
CSS += """
/* WCAG 2.1 AA on a phone: text 16 px and up, contrast 4.5:1 and up, tap targets 44×44 px and up. */
.gradio-container { --button-primary-background-fill: #0b6b4f; --button-primary-background-fill-hover: #08563f;
  --button-primary-text-color: #fff; --button-primary-border-color: #0b6b4f; --button-primary-border-color-hover: #08563f;
  --text-xxs: 16px; --text-xs: 16px; --text-sm: 16px; --text-md: 16px; --text-lg: 18px;
  --block-label-text-size: 16px; --block-title-text-size: 16px; --checkbox-label-text-size: 16px; --block-info-text-weight: 400; --block-info-text-size: 16px; --input-text-size: 16px; --button-small-text-size: 16px; --section-header-text-size: 16px;
  --body-text-color-subdued: #4a4a4a; --input-placeholder-color: #5f6b66; --block-label-text-color: #2f3b36; }
#lq-transcript a.cite-ref, .lq-panel a.cite-ref { display: inline-block; min-width: 44px; min-height: 44px; line-height: 44px; text-align: center; padding: 0; }
.lq-panel .source a { display: inline-block; min-height: 44px; line-height: 44px; padding: 0 6px; }
.lq-small a[href^="tel:"], a.call-inline { display: inline-block; min-width: 44px; min-height: 44px; line-height: 44px; text-align: center; font-weight: 700; }
#lq-transcript a.source { min-height: 44px; box-sizing: border-box; }
#lq-transcript details.places summary, #lq-transcript details.full summary { min-height: 44px; box-sizing: border-box; }
#lq-transcript li.place .links a { min-height: 44px; min-width: 44px; line-height: 32px; text-align: center; box-sizing: border-box; }
.lq-panel .dist { color: #1558b0; }
#lq-transcript small, .lq-panel small, .lq-small small, .lq-card small, .lq-list small { font-size: 1rem; }
"""


# -- 诉求反映: the report number, kept in the browser ----------------------------------------------

KEPT_REPORTS = 20
"""Report numbers a browser keeps (the newest; older ones drop off its list)."""


def report_number_html(number: str) -> str:
    """A report number that never wraps, with a button that copies it (see :data:`COPY_JS`)."""
    return (f'<span class="lq-number">{esc(number)}</span> '
            f'<button type="button" class="lq-copy" data-copy="{esc(number)}" aria-label="复制编号 {esc(number)}">复制编号</button>')


def report_received_html(number: str) -> str:
    return (f'<div class="notice ok" role="status"><p>已收到你的诉求。编号：{report_number_html(number)}</p>'
            '<p>编号已经记在这个手机的浏览器里，下面「我的诉求」随时可以查进度。</p></div>')


def my_reports_html(reports: list[tuple[str, str | None]]) -> str:
    """「我的诉求」: the numbers this browser kept, newest first, each with its status (None: the
    server no longer has it)."""
    if not reports:
        return ""
    items = "".join(f'<li>{report_number_html(number)} <span class="state">{esc(status or "查不到这个编号")}</span></li>'
                    for number, status in reports)
    return f'<div class="lq-my-reports"><h4>我的诉求（记在这个手机上）</h4><ul>{items}</ul></div>'


COPY_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  event.preventDefault();
  const text = button.dataset.copy;
  const done = () => { button.textContent = '已复制'; setTimeout(() => { button.textContent = '复制编号'; }, 2000); };
  const fallback = () => {
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select();
    try { if (document.execCommand('copy')) done(); } catch (e) {}
    area.remove();
  };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback); else fallback();
});
"""
"""The copy button of a report number (the clipboard API where the page is secure, else the old way)."""
CSS += """
.lq-number { white-space: nowrap; font-family: ui-monospace, monospace; font-weight: 700; font-size: 1.1rem; letter-spacing: 0.02em; }
button.lq-copy { min-height: 44px; min-width: 44px; padding: 6px 14px; margin: 2px 4px; border-radius: 10px; border: 1px solid #0b6b4f;
  background: #fff; color: #0b6b4f; font: inherit; font-size: 1rem; cursor: pointer; }
.lq-my-reports ul { list-style: none; padding: 0; margin: 4px 0; }
.lq-my-reports li { padding: 6px 0; border-top: 1px solid #e2e8e5; }
.lq-my-reports .state { color: #114d2e; }
.notice p { margin: 2px 0; }
"""
CSS += """
/* the staff page: the tab bar keeps its place (a scrollbar appearing on a long tab does not shift it) */
html { overflow-y: scroll; scrollbar-gutter: stable; }
.gradio-container { width: 100% !important; box-sizing: border-box; }
.gradio-container .tabs, .gradio-container .tab-wrapper { width: 100%; }
.lq-card button.lq-handle { display: block; margin-top: 8px; min-height: 44px; padding: 6px 16px; border-radius: 10px; border: 1px solid #0b6b4f;
  background: #fff; color: #0b6b4f; font: inherit; font-size: 1rem; cursor: pointer; }
.lq-card button.lq-handle:disabled { opacity: 0.6; }
#lq-dash-files button.label-clear-button { display: none !important; }  /* downloads, not uploads: nothing to remove */
details.lq-junk { margin: 10px 0; border: 1px dashed #b9c7c0; border-radius: 10px; padding: 4px 10px; }
details.lq-junk > summary { min-height: 44px; line-height: 44px; cursor: pointer; color: #4a4a4a; }
"""
CSS += """
.lq-sr { position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
"""
