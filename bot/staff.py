"""The staff page (``/staff``): the same chat plus what the bot saw, the queue of questions it could
not answer, vetted answers, and workers' problem reports — behind a login.

Accounts are :mod:`bot.staff_accounts`. The page is a Gradio app of its own, mounted with ``auth=`` so every page, API call and file of it needs
the login; each handler checks the logged-in name once more before it touches records.
"""
from __future__ import annotations

import logging
from datetime import date

import common.settings  # noqa: F401  (analytics off before gradio is imported)
import gradio as gr  # noqa: E402  (handlers' type hints gr.Request are resolved from here)
from bot.records import FORWARD_TARGETS, RecordError, Records, RecordsUnavailable, document_fingerprint, stale_reasons
from bot.junk import split_junk
from bot.render import CLICK_JS, citation_origin, esc, notice_html, services_html, transcript_html
from bot.results import OUTCOME_LABELS, REASON_LABELS
from corpus.regions import CITIES, PROVINCES, applicable_regions
from bot.asking import TRANSCRIPT_TURNS, Asker, region_key
from bot.protocols import Bot
from bot.staff_accounts import StaffAccounts
from bot.staff_files import StaffFiles
from bot.login_guard import LoginGuard

log = logging.getLogger(__name__)

REGIONS = ["全国（不选地区）"] + list(PROVINCES)
REGIONS += [c for cities in CITIES.values() for c in cities]


def _region(choice: str | None) -> str | None:
    return None if not choice or choice.startswith("全国") else choice


def _when(stamp: str | None) -> str:
    """「2026-11-24T21:31:05+00:00」 → 「11-24 21:31」."""
    return (stamp or "")[5:16].replace("T", " ")


def _card(head: str, rows: list[tuple[str, str | None]], *, cls: str = "") -> str:
    fields = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows if v)
    return f'<div class="lq-card {cls}"><div class="head">{head}</div><dl>{fields}</dl></div>'


def seen_html(answer, *, debug: list | None, catalog) -> str:
    """What the bot saw: the filters, why it refused or asked back, timings, citations' scores and
    the retriever's ranked passages."""
    data = answer.to_json()
    region = data.get("region")
    reason = data.get("reason") or ""
    rows = [
        ("结果", OUTCOME_LABELS.get(data["outcome"], data["outcome"])),
        ("原因", f"{reason}：{REASON_LABELS.get(reason, '')}" if reason else "—"),
        ("地区过滤", f"{region or '未选'} → 只用 {'、'.join(applicable_regions(region))} 的文件"),
        ("日期", f"{data.get('as_of')}：只检索当天有效的文本（未施行、已废止、已修订的不用）"),
        ("耗时", " · ".join(f"{k} {v:.0f} ms" for k, v in (data.get("timings_ms") or {}).items())),
    ]
    if data.get("triage"):
        rows.append(("反问", data["triage"].get("ask", "")))
    if data.get("llm"):
        rows.append(("LLM", ", ".join(f"{k}={v}" for k, v in data["llm"].items())))
    out = '<h3>机器看到了什么</h3><dl class="lq-facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows) + "</dl>"
    cites = "".join(
        f"<li><b>[{c['n']}] {esc(c['title'])}{esc(c['article'])}</b> <span class='tag'>{esc(c.get('kind'))} · {esc(c.get('status'))}</span>"
        f"<small>{esc(citation_origin(c))}</small></li>" for c in data.get("citations") or [])
    if cites:
        out += f'<h4>引用的条文</h4><ul class="lq-list" id="lq-cited">{cites}</ul>'
    if debug:
        ranked = "".join(
            f"<li><b>{esc(catalog.get(h.doc_id).short_name if catalog.get(h.doc_id) else h.doc_id)} {esc(h.article)}</b>"
            f" <span class='tag'>{'要点' if h.kind == 'note' else '条文'}</span>"
            f"<small>融合 {h.score:.4f} · 向量 {'—' if h.dense is None else f'{h.dense:.3f}'} · BM25 {'—' if h.bm25 is None else f'{h.bm25:.2f}'}</small></li>"
            for h in debug)
        out += f'<h4>检索到的段落（地区和日期过滤后，融合排序前 {len(debug)} 名）</h4><ol class="lq-list" id="lq-retrieved">{ranked}</ol>'
    return out


QUEUE_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-act="handle"]');
  if (!button || button.disabled) return;
  event.preventDefault();
  button.disabled = true;
  trigger('click', {act: 'handle', id: button.dataset.id});
});
"""
"""Each queue card's own button becomes a Gradio ``click`` event with the item's id."""


def login_refusals_html(refusals) -> str:
    """The staff login's recent wrong or refused tries (account as typed, client address, time)."""
    if not refusals:
        return '<h3>登录失败记录（24小时）</h3><p id="lq-login-refusals">没有。</p>'
    rows = "".join(f"<tr><td>{esc(_when(a.at))}</td><td>{esc(a.account or '（空）')}</td><td>{esc(a.client)}</td></tr>" for a in refusals)
    return ('<h3>登录失败记录（24小时）</h3><table class="lq-table" id="lq-login-refusals"><tr><th>时间（UTC）</th><th>账号</th><th>来自</th></tr>'
            f"{rows}</table>")


def build_staff_app(bot: Bot, records: Records, settings, accounts: StaffAccounts, *, files: StaffFiles | None = None,
                    logins: LoginGuard | None = None):
    """The staff page. ``files``: the folder its downloads are written to (mount the app with
    ``allowed_paths=[files.path]``); ``logins``: where the login's recent refusals are read."""
    from bot.guards import QuestionError

    files = files or StaffFiles()
    logins = logins or LoginGuard(records)

    asker = Asker(bot, records, settings)

    def who(request: gr.Request | None) -> str:
        name = getattr(request, "username", None) if request is not None else None
        if not name or name not in accounts.names():
            raise gr.Error("请先登录。")
        return name

    def retrieval_debug(question: str, region: str | None, as_of: date):
        return bot.retriever.search(question, region=region, as_of=as_of, k=10).hits

    def ask(question, region_choice, as_of_text, conv, turns, request: gr.Request):
        who(request)
        turns = list(turns or [])
        region = _region(region_choice)
        try:
            as_of = date.fromisoformat((as_of_text or "").strip()) if (as_of_text or "").strip() else date.today()
        except ValueError:
            return transcript_html(turns, staff=True), "", notice_html("日期格式应为 YYYY-MM-DD。"), conv, turns, None
        try:
            conversation = asker.conversation(conv)
            answer = bot.ask(question or "", region=region, as_of=as_of, conversation=conversation)
            debug = retrieval_debug(answer.question, region, as_of)
        except QuestionError as exc:
            return transcript_html(turns, staff=True), "", notice_html(exc.message), conv, turns, None
        except Exception:
            log.exception("staff ask failed")
            return transcript_html(turns, staff=True), "", notice_html("出错了，请看服务器日志。"), conv, turns, None
        turns = (turns + [{"question": answer.question, "answer": answer.to_json(), "final": True}])[-TRANSCRIPT_TURNS:]
        conv_out = conversation.to_json()
        last = {"question": answer.question, "region": region, "answer": answer.to_json()}
        return transcript_html(turns, staff=True), seen_html(answer, debug=debug, catalog=bot.catalog), "", conv_out, turns, last

    def on_click(region_choice, as_of_text, conv, turns, evt: gr.EventData, request: gr.Request):
        data = getattr(evt, "_data", None) or {}
        if data.get("act") == "ask":
            return ask(data.get("text", ""), region_choice, as_of_text, conv, turns, request)
        return transcript_html(turns or [], staff=True), gr.skip(), "", conv, turns, gr.skip()

    def vet(last, comment, request: gr.Request):
        name = who(request)
        if not last:
            return notice_html("先问一个问题，再保存它的回答。")
        cited = []
        for doc_id in dict.fromkeys(c["doc_id"] for c in last["answer"].get("citations") or []):
            fp = document_fingerprint(bot.catalog, doc_id, notes_dir=settings.paths.notes_dir)
            if fp:
                cited.append(fp)
        try:
            records.save_vetted(question=last["question"], region=last["region"], region_key=region_key(last["region"]),
                                answer=last["answer"], cited=cited, by=name, comment=comment or "")
        except (RecordError, RecordsUnavailable) as exc:
            return notice_html(exc.message)
        return notice_html(f"已保存为审核答案：「{last['question']}」（{region_key(last['region']) or '全国'}）。工人再问同样的问题时会看到「站点已审核」。", kind="ok")

    def queue_card(q, junk=None) -> str:
        head = (f"#{q.id} · {'拒答' if q.kind == 'refused' else '没用'} · {esc(_when(q.created_at))}"
                + (f" <span class='tag'>{esc(junk)}</span>" if junk else ""))
        card = _card(head, [("问题", q.question), ("地区", q.region),
                            ("原因", f"{q.reason}：{REASON_LABELS.get(q.reason or '', '')}" if q.reason else None),
                            ("当时的结论", q.conclusion)], cls="refused" if q.kind == "refused" else "bad")
        button = f'<button type="button" class="lq-handle" data-act="handle" data-id="{q.id}">标记 #{q.id} 已处理</button>'
        return card.removesuffix("</div>") + button + "</div>"

    def queue_view(request: gr.Request):
        who(request)
        items = records.queue()
        counts = records.feedback_counts()
        kept, junk = split_junk(items, text=lambda q: q.question)
        cards = "".join(queue_card(q) for q in kept)
        junk_group = (f'<details class="lq-junk" id="lq-queue-junk"><summary>无效输入（{len(junk)} 条：太短、没有中文、重复的字或重复提交）</summary>'
                      + "".join(queue_card(q, reason) for q, reason in junk) + "</details>") if junk else ""
        html = (f'<p>反馈：有用 {counts["有用"]} · 没用 {counts["没用"]} · 待处理 {len(items)}</p>'
                f'<div id="lq-queue">{cards or "<p>没有待处理的问题。</p>"}{junk_group}</div>')
        vetted = []
        for v in records.vetted_answers():
            stale = stale_reasons(v, bot.catalog, notes_dir=settings.paths.notes_dir)
            state = "已过期：" + "；".join(stale) if stale else "有效"
            vetted.append(_card(f"审核 #{v.id} · <span class='{'stale' if stale else 'ok'}'>{esc(state)}</span>",
                                [("问题", v.question), ("地区", v.region or "全国"), ("审核人", v.vetted_by), ("日期", v.vetted_at[:10]),
                                 ("备注", v.comment)]))
        return (html + '<h3>审核答案</h3><div id="lq-vetted">' + ("".join(vetted) or "<p>还没有。</p>") + "</div>"
                + login_refusals_html(logins.recent_refusals()))

    def handle_item(item_id, note, request: gr.Request):
        name = who(request)
        try:
            number = int(item_id)
            ok = records.handle_queue_item(number, by=name, note=note or "")
        except (TypeError, ValueError):
            number, ok = None, False
        message = notice_html(f"第 {number} 条已标记为处理。", kind="ok") if ok else notice_html("没有这一条。")
        return message, queue_view(request), ("" if ok else gr.skip())

    def handle_clicked(note, evt: gr.EventData, request: gr.Request):
        """A queue card's own 「标记已处理」 button (the note box above applies to it)."""
        data = getattr(evt, "_data", None) or {}
        if data.get("act") != "handle":
            return gr.skip(), gr.skip(), gr.skip()
        return handle_item(data.get("id"), note, request)

    def services_view(request: gr.Request):
        """Every service point with its research note (how far its source can be trusted): for staff only."""
        from bot.panels import ServicesPanel

        who(request)
        points = sorted(ServicesPanel(None, settings).directory(), key=lambda p: (p.province, p.city, p.source_type != "official"))
        return services_html(points, place=None, staff=True)

    def reports_view(request: gr.Request):
        who(request)
        cards = "".join(
            _card(f"<b>{esc(r.number)}</b> <span class='state'>{esc(r.status)}</span>",
                  [("时间", _when(r.created_at)), ("发生了什么", r.what), ("平台", r.platform), ("城市", r.city), ("联系方式", r.contact),
                   ("转交", r.forwarded_to), ("结果", r.outcome), ("经办", r.updated_by)])
            for r in records.reports())
        return f'<div id="lq-reports">{cards or "<p>还没有诉求。</p>"}</div>'

    def update_report(number, target, outcome, done, request: gr.Request):
        name = who(request)
        try:
            report = records.update_report(number or "", by=name, forwarded_to=target or None, outcome=outcome or None, done=bool(done))
        except (RecordError, RecordsUnavailable) as exc:
            return notice_html(exc.message), reports_view(request)
        return notice_html(f"{report.number}：{report.status}" + (f"（转交 {report.forwarded_to}）" if report.forwarded_to else ""), kind="ok"), reports_view(request)

    def topic_label(topic: str) -> str:
        """A guide's title or a document's short name, for the dashboard."""
        guide = None
        finder = getattr(getattr(bot, "retriever", None), "guide", None)
        if callable(finder):
            try:
                guide = finder(topic)
            except Exception:
                guide = None
        if guide is not None and getattr(guide, "title", None):
            return f"指南：{guide.title}"
        entry = bot.catalog.get(topic) if getattr(bot, "catalog", None) is not None else None
        return getattr(entry, "short_name", None) or topic

    def dashboard_view(request: gr.Request):
        """The dashboard's summary, table of questions to vet, four plots and the CSV files."""
        from bot.dashboard import build_dashboard, plot_provinces, plot_rates, plot_reports, plot_topics

        who(request)
        board = build_dashboard(records, topic_label=topic_label)
        pct = lambda r: "—" if r is None else f"{r * 100:.1f}%"  # noqa: E731
        summary = (f'<dl class="lq-facts" id="lq-dash-summary"><dt>提问</dt><dd>{board.asked} 次（{len(board.weeks)} 周）</dd>'
                   f"<dt>拒答率</dt><dd>{pct(board.refusal_rate)}（{board.refused} 次）</dd>"
                   f"<dt>没用率</dt><dd>{pct(board.not_useful_rate)}（反馈 {board.feedback} 次，没用 {board.not_useful} 次）</dd></dl>")
        row = lambda q, n, r, u, g: f"<tr><td>{esc(q)}</td><td class='num'>{n}</td><td class='num'>{r}</td><td class='num'>{u}</td><td>{esc(g)}</td></tr>"  # noqa: E731
        questions, junk = split_junk(list(board.need_vetting.rows), text=lambda r: r[0])
        rows = "".join(row(q, n, r, u, g) for q, n, r, u, g, _ in questions)
        head = "<tr><th>问题</th><th>次数</th><th>拒答</th><th>没用</th><th>地区</th></tr>"
        junk_rows = "".join(row(q, n, r, u, g) for (q, n, r, u, g, _), _reason in junk)
        vetting = ('<h3>最需要审核答案的问题</h3><p class="lq-small">待处理队列里出现最多的拒答和「没用」问题（个人信息已遮盖）。'
                   '在「问答」里问一遍，回答对就「保存为审核答案」。</p>'
                   + (f'<table class="lq-table" id="lq-need-vetting">{head}{rows}</table>' if rows else "<p>队列里没有要审核的问题。</p>")
                   + (f'<details class="lq-junk" id="lq-need-vetting-junk"><summary>无效输入（{len(junk)} 条）</summary>'
                      f'<table class="lq-table">{head}{junk_rows}</table></details>' if junk else ""))
        report_rows = "".join(
            f"<tr><td>{esc(w)}</td><td class='num'>{n}</td><td class='num'>{'—' if m is None else m}</td><td class='num'>{pct(r10)}</td>"
            f"<td class='num'>{c}</td><td class='num'>{'—' if h is None else h}</td><td class='num'>{pct(r24)}</td></tr>"
            for w, n, _, m, r10, c, h, r24 in board.reports.rows)
        reports = ('<h3>诉求：10分钟响应、24小时跟踪</h3>'
                   + (f'<table class="lq-table" id="lq-report-times"><tr><th>周</th><th>收到</th><th>首次响应中位（分）</th><th>10分钟内</th>'
                      f'<th>办结</th><th>办结中位（时）</th><th>24小时内办结</th></tr>{report_rows}</table>' if report_rows else "<p>还没有诉求。</p>"))
        written = board.write_csvs(files.fresh_folder())
        return (summary, plot_topics(board), plot_rates(board), plot_provinces(board), vetting, plot_reports(board), reports,
                [str(f) for f in written])

    with gr.Blocks(title="劳权通 · 工作人员") as app:
        conv = gr.State(None)
        turns = gr.State([])
        last = gr.State(None)
        gr.HTML('<h1>劳权通 · 工作人员</h1><p class="lq-small">和工人一起用：看回答、看依据、看机器检索到了什么。'
                '<a href="/staff/logout">退出登录</a></p>', elem_id="lq-header")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                with gr.Row():
                    region = gr.Dropdown(REGIONS, value=REGIONS[0], label="地区", elem_id="lq-staff-region")
                    as_of = gr.Textbox(label="按哪天的规定（YYYY-MM-DD，空=今天）", elem_id="lq-staff-asof")
                transcript = gr.HTML(transcript_html([], staff=True), elem_id="lq-transcript", js_on_load=CLICK_JS)
                notice = gr.HTML("")
                question = gr.Textbox(label="问题", lines=2, elem_id="lq-staff-question")
                send = gr.Button("提问", variant="primary", elem_classes=["lq-big"], elem_id="lq-staff-send")
                seen = gr.HTML("", elem_id="lq-seen")
                with gr.Row():
                    comment = gr.Textbox(label="审核备注（可不填）", scale=3)
                    vet_btn = gr.Button("保存为审核答案", scale=1, elem_id="lq-vet")
                vet_notice = gr.HTML("")
            with gr.Tab("待处理问题", id="queue") as queue_tab:
                note = gr.Textbox(label="怎么处理的（例如：补了文件、加了问法；再点那一条的「标记已处理」）", elem_id="lq-handle-note")
                queue_notice = gr.HTML("", elem_id="lq-queue-notice")
                queue_html = gr.HTML("", elem_id="lq-queue-view", js_on_load=QUEUE_JS)
            with gr.Tab("诉求反映", id="reports") as reports_tab:
                reports_html = gr.HTML("", elem_id="lq-reports-view")
                number = gr.Textbox(label="诉求编号", placeholder="LQ-XXXX-XXXX", elem_id="lq-report-number")
                target = gr.Radio(list(FORWARD_TARGETS), label="转交给", elem_id="lq-forward")
                outcome = gr.Textbox(label="处理结果", lines=2, elem_id="lq-outcome")
                done = gr.Checkbox(label="已办结", elem_id="lq-done")
                save_report = gr.Button("保存", variant="primary", elem_id="lq-report-save")
                report_notice = gr.HTML("")
            with gr.Tab("看板", id="dashboard") as dashboard_tab:
                gr.HTML('<p class="lq-small">全部来自本站的匿名统计（周、省、工作、主题、结果；不含问题原文和时间点）、反馈和诉求记录；'
                        '不发给任何人。图下可以下载每张图的数字（CSV）。</p>')
                dash_summary = gr.HTML("", elem_id="lq-dash")
                plot_topics_ = gr.Plot(label="每周提问数（按主题）", format="png", elem_id="lq-plot-topics")
                plot_rates_ = gr.Plot(label="拒答率与「没用」率", format="png", elem_id="lq-plot-rates")
                plot_provinces_ = gr.Plot(label="各省提问数", format="png", elem_id="lq-plot-provinces")
                dash_vetting = gr.HTML("", elem_id="lq-dash-vetting")
                plot_reports_ = gr.Plot(label="诉求量与响应、办结用时", format="png", elem_id="lq-plot-reports")
                dash_reports = gr.HTML("", elem_id="lq-dash-reports")
                dash_files = gr.File(label="下载数据（CSV）", file_count="multiple", interactive=False, elem_id="lq-dash-files")
                dash_files.GRADIO_CACHE = str(files.path)  # its files stay in the staff app's own folder
                refresh = gr.Button("刷新看板", elem_id="lq-dash-refresh")
                with gr.Accordion("服务站点目录（带核实备注）", open=False, elem_id="lq-staff-services-box") as services_box:
                    gr.HTML('<p class="lq-small">目录里的全部站点，带核实备注（来源可信度、是否可能搬迁）。备注只在这里显示，工人页面看不到。</p>')
                    services_html_ = gr.HTML("", elem_id="lq-staff-services")
        outputs = [transcript, seen, notice, conv, turns, last]
        send.click(ask, [question, region, as_of, conv, turns], outputs, api_name="staff_ask")
        question.submit(ask, [question, region, as_of, conv, turns], outputs, api_visibility="private")
        transcript.click(on_click, [region, as_of, conv, turns], outputs, api_visibility="private")
        vet_btn.click(vet, [last, comment], [vet_notice], api_name="vet")
        queue_tab.select(queue_view, None, [queue_html], api_name="queue")
        queue_html.click(handle_clicked, [note], [queue_notice, queue_html, note], api_visibility="private")
        handle_api = gr.Button(visible=False)
        handle_number = gr.Number(visible=False, precision=0)
        handle_api.click(handle_item, [handle_number, note], [queue_notice, queue_html, note], api_name="handle_queue_item")
        services_box.expand(services_view, None, [services_html_], api_name="staff_services")  # a fifth tab would not fit a phone
        reports_tab.select(reports_view, None, [reports_html], api_name="reports")
        save_report.click(update_report, [number, target, outcome, done], [report_notice, reports_html], api_name="update_report")
        dash_outputs = [dash_summary, plot_topics_, plot_rates_, plot_provinces_, dash_vetting, plot_reports_, dash_reports, dash_files]
        dashboard_tab.select(dashboard_view, None, dash_outputs, api_name="dashboard")
        refresh.click(dashboard_view, None, dash_outputs, api_visibility="private")
    return app
