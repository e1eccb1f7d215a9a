"""The worker page (``/``; served with the staff page by :mod:`bot.server`).

It is made for a phone held in one hand: region and job chosen once with big buttons
and remembered in the browser (``gr.BrowserState``), the conclusion first, citations as cards that
open on tap, 有用 / 没用 on every answer, and a form to leave a problem report (诉求反映). Nothing
about the worker is stored except what they send on purpose; see :mod:`bot.records`.
"""
from __future__ import annotations

import logging

import common.settings  # noqa: F401  (analytics off before gradio is imported)
import gradio as gr  # noqa: E402  (handlers' type hints gr.EventData / gr.Request are resolved from here)
from bot.asking import BROKEN, PROFILE_BROKEN, TRANSCRIPT_TURNS, Asker, profile_of, region_of, topic_of
from bot.feeds import FeedSource
from bot.protocols import Bot
from bot.records import RecordError, Records, RecordsUnavailable
from bot.render import CLICK_JS, COPY_JS, KEPT_REPORTS, esc, my_reports_html, notice_html, report_received_html, transcript_html
from bot.workers import BUSY, Busy  # the busy sentence is the answer pool's; the page shows it
from corpus.regions import CITIES, PROVINCES

log = logging.getLogger(__name__)

NO_REGION = "不告诉"
WHOLE_PROVINCE = "全省"
JOBS = ["外卖", "快递", "网约车", "货运", "主播", "家政", "其他"]
EXAMPLES = ["送外卖路上被车撞了，算工伤吗？", "干了三个月老板还不签合同怎么办", "公司拖欠工资两个月了，去哪里投诉？", "平台说我不是员工，受伤了谁来赔？"]

PROFILE_SECRET = "laoquan-profile-v1"
"""BrowserState encrypts with this; the profile (a province and a job) is not secret, so a fixed key
is enough — and it keeps the choice across server restarts."""


def profile_label(profile: dict | None) -> str:
    profile = profile or {}
    where = region_of(profile) or "全国（未选地区）"
    job = profile.get("job") or "未选工作"
    return f'<div id="lq-profile-text"><span class="where">{esc(where)}</span> · {esc(job)}</div>'


NEARBY_JS = """
async (geo, profile) => {
  const where = await new Promise((resolve) => {
    if (!navigator.geolocation) { resolve({error: 'unsupported'}); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({lat: p.coords.latitude, lon: p.coords.longitude}),
      (e) => resolve({error: e && e.code === 1 ? 'denied' : 'unavailable'}),
      {enableHighAccuracy: false, timeout: 15000, maximumAge: 300000});
  });
  return [JSON.stringify(where), profile];
}
"""
"""「附近」: the browser is asked for its position only when the button is tapped; the answer (or the
refusal) goes to the server once, for that one list, and is neither stored nor logged."""


def build_worker_app(bot: Bot, records: Records, settings, *, feeds=None, services=None):
    """The worker page (a ``gr.Blocks``). ``feeds``: a :class:`bot.feeds.FeedSource` (default: the
    settings' catalog and change log); ``services``: a callable returning the service directory
    (default: :func:`corpus.services.load_directory_for`, re-read when the local overlay changes)."""
    from bot.guards import QuestionError
    from bot.panels import NewsPanel, ServicesPanel

    asker = Asker(bot, records, settings)
    news_panel = NewsPanel(feeds or FeedSource.for_settings(settings), public_url=settings.web.public_url)
    services_panel = ServicesPanel(services, settings)

    def render(turns):
        return transcript_html(turns, examples=EXAMPLES)

    def ask(question: str, profile: dict | None, conv: dict | None, turns: list | None, *, from_button: bool = False):
        """Yields (transcript, notice, question box, conversation, turns) as the answer grows."""
        turns = list(turns or [])
        profile = profile_of(profile)
        if profile is None:  # a profile that is not an object (an API caller's, a tampered browser's)
            yield render(turns), notice_html(PROFILE_BROKEN), question, conv, turns
            return
        region = region_of(profile)
        try:
            conversation = asker.conversation(conv)
            vetted = None if from_button else asker.vetted(question or "", region, conversation)
            if vetted:
                turns = (turns + [{"question": question.strip(), "answer": vetted["answer"], "vetted": vetted, "final": True}])[-TRANSCRIPT_TURNS:]
                count(vetted["answer"], profile, reason="vetted")
                yield render(turns), "", "", conv, turns
                return
            answer = None
            for answer in asker.answers(question or "", region=region, job=(profile or {}).get("job"), conversation=conversation):
                partial = turns + [{"question": answer.question, "answer": answer.to_json(), "final": False}]
                yield render(partial[-TRANSCRIPT_TURNS:]), "", "", conv, turns
        except QuestionError as exc:
            yield render(turns), notice_html(exc.message), question, conv, turns  # keep what they typed
            return
        except Busy:  # every answer worker busy and the waiting places full: the busy sentence, at once
            yield render(turns), notice_html(BUSY), question, conv, turns
            return
        except Exception:  # never a stack trace to a worker
            log.exception("answering failed")
            yield render(turns), notice_html(BROKEN), question, conv, turns
            return
        if answer is None:  # a stream that yielded nothing
            yield render(turns), notice_html(BROKEN), question, conv, turns
            return
        data = answer.to_json()
        turns = (turns + [{"question": answer.question, "answer": data, "final": True}])[-TRANSCRIPT_TURNS:]
        count(data, profile)
        if answer.outcome == "refused" and settings.web.queue_refused and answer.reason not in ("injection",):
            try:
                records.add_refused(question=answer.question, region=region, reason=answer.reason)
            except Exception:
                log.exception("could not queue a refused question")
        conv_out = conversation.to_json() if conversation is not None and hasattr(conversation, "to_json") else conv
        yield render(turns), "", "", conv_out, turns

    def count(data: dict, profile: dict | None, *, reason: str | None = None) -> None:
        """One line in the anonymous ``asked`` table (never the question; never fails the answer)."""
        try:
            records.add_asked(region=region_of(profile), job=(profile or {}).get("job"), topic=topic_of(data),
                              outcome=data.get("outcome", ""), reason=reason or data.get("reason") or "")
        except RecordsUnavailable as exc:
            log.warning("answer not counted: %s", exc.message)
        except Exception:
            log.exception("could not count an answer")

    def feedback(turns: list | None, turn: str, value: str, profile: dict | None):
        turns = list(turns or [])
        try:
            i = int(turn)
            t = dict(turns[i])
        except (ValueError, IndexError):
            return render(turns), notice_html("这条回答已经不在页面上了，请重新提问。"), turns
        if t.get("feedback") or not t.get("final", True):
            return render(turns), "", turns
        a = t["answer"]
        try:
            records.add_feedback(useful=value == "有用", question=t["question"], region=region_of(profile), outcome=a.get("outcome", ""),
                                 reason=a.get("reason", ""), conclusion=a.get("conclusion", ""),
                                 doc_ids=[c["doc_id"] for c in a.get("citations") or []])
        except RecordsUnavailable as exc:  # disk full, a broken records file: said plainly; answers go on
            log.warning("feedback not stored: %s", exc.message)
            return render(turns), notice_html(exc.message), turns
        except Exception:
            log.exception("could not store feedback")
            return render(turns), notice_html("反馈没有保存成功，请稍后再试。"), turns
        t["feedback"] = value
        turns[i] = t
        return render(turns), "", turns

    def on_click(profile, conv, turns, evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        if data.get("act") == "fb":
            html, notice, turns = feedback(turns, data.get("turn", ""), data.get("text", ""), profile)
            yield html, notice, gr.skip(), conv, turns
            return
        if data.get("act") == "ask":
            yield from ask(data.get("text", ""), profile, conv, turns, from_button=bool(turns))
            return
        yield render(turns), "", gr.skip(), conv, turns

    def load_profile(profile: dict | None):
        profile = profile_of(profile) or {}  # a tampered browser value reads as none
        chosen = bool(profile and profile.get("chosen"))
        province = (profile or {}).get("province") or (NO_REGION if chosen else None)
        city = (profile or {}).get("city")
        cities = _city_choices(province)
        return (
            gr.update(visible=not chosen),
            gr.update(visible=chosen),
            profile_label(profile),
            gr.update(value=province),
            gr.update(choices=cities, value=city or (WHOLE_PROVINCE if cities else None), visible=bool(cities)),
            gr.update(value=(profile or {}).get("job")),
            report_city_default(profile),
        )

    def province_changed(province):
        cities = _city_choices(province)
        return gr.update(choices=cities, value=WHOLE_PROVINCE if cities else None, visible=bool(cities))

    def save_profile(province, city, job):
        profile = {
            "chosen": True,
            "province": None if not province or province == NO_REGION else province,
            "city": None if not city or city == WHOLE_PROVINCE or province == NO_REGION else city,
            "job": job or None,
        }
        return profile, gr.update(visible=False), gr.update(visible=True), profile_label(profile), report_city_default(profile)

    def report_city_default(profile):
        return region_of(profile) or ""

    def submit_report(what, platform, city, contact):
        """Stores the report; returns (notice, the form's text, the new number for :func:`keep_report`)."""
        try:
            report = records.add_report(what=what, platform=platform, city=city, contact=contact)
        except (RecordError, RecordsUnavailable) as exc:
            return notice_html(exc.message), what, None
        except Exception:
            log.exception("could not store a report")
            return notice_html(BROKEN), what, None
        return report_received_html(report.number), "", report.number

    def keep_report(number, kept):
        """The new number first in this browser's list (``laoquan-reports``), and 「我的诉求」 shown."""
        if not number:
            return gr.skip(), gr.skip()
        kept = [number, *[n for n in kept_numbers(kept) if n != number]][:KEPT_REPORTS]
        return kept, show_my_reports(kept)

    def kept_numbers(kept) -> list[str]:
        return [n for n in (kept if isinstance(kept, list) else []) if isinstance(n, str) and len(n) <= 20][:KEPT_REPORTS]

    def show_my_reports(kept):
        """「我的诉求」: each kept number with its status now."""
        shown = []
        for n in kept_numbers(kept):
            try:
                report = records.report(n)
            except Exception:
                log.exception("could not look up a kept report")
                report = None
            shown.append((n, report.status if report else None))
        return my_reports_html(shown)

    def lookup_report(number):
        try:
            report = records.report(number or "")
        except RecordsUnavailable as exc:
            log.warning("report lookup failed: %s", exc.message)
            return notice_html(exc.message)
        if report is None:
            return notice_html("没有找到这个编号，请核对后再查（编号像 LQ-7K3M-9QX2）。")
        parts = [f"编号 {report.number}：{report.status}"]
        if report.forwarded_to:
            parts.append(f"已转交：{report.forwarded_to}")
        if report.outcome:
            parts.append(f"处理结果：{report.outcome}")
        return notice_html("；".join(parts) + "。", kind="ok")

    def show_panels(profile: dict | None, visit: dict | None):
        """On every page load: 新政策 since the last visit (remembered in this browser only) and the
        chosen city's service points. Returns the visit to remember."""
        profile = profile_of(profile) or {}  # a tampered browser value reads as none
        news_label, news_html_, visit = news_panel.render(profile, visit if isinstance(visit, dict) else {})
        services_label, services_html_ = services_panel.render(profile)
        return gr.update(label=news_label), news_html_, visit, gr.update(label=services_label), services_html_

    def show_chosen(profile: dict | None):
        """After a new choice: the newest items of that choice (as on a first visit) and its service points."""
        profile = profile_of(profile) or {}  # a tampered browser value reads as none
        news_label, news_html_, _ = news_panel.render(profile, None)
        services_label, services_html_ = services_panel.render(profile)
        return gr.update(label=news_label), news_html_, gr.update(label=services_label), services_html_

    def nearby(geo: str, profile: dict | None):
        return services_panel.nearby(geo if isinstance(geo, str) else "", profile_of(profile) or {})

    def news_api(profile: dict | None, visit: dict | None):
        profile = profile_of(profile)
        if profile is None:
            return notice_html(PROFILE_BROKEN), visit if isinstance(visit, dict) else {}
        _, html, visit = news_panel.render(profile, visit if isinstance(visit, dict) else {})
        return html, visit

    def services_api(profile: dict | None):
        profile = profile_of(profile)
        return notice_html(PROFILE_BROKEN) if profile is None else services_panel.render(profile)[1]

    with gr.Blocks(title="劳权通 · 问政策") as app:
        profile = gr.BrowserState({}, storage_key="laoquan-profile", secret=PROFILE_SECRET)
        conv = gr.State(None)
        turns = gr.State([])
        gr.HTML('<h1>劳权通</h1><p>外卖、快递、网约车、货运、主播的劳动权益问答 · 只按法规原文回答，条条有出处</p>', elem_id="lq-header")
        with gr.Row(visible=False, elem_id="lq-profile", equal_height=True) as profile_bar:
            profile_text = gr.HTML(profile_label(None), scale=3)
            change = gr.Button("改地区/工作", size="sm", scale=1, min_width=110, elem_id="lq-change")
        with gr.Column(visible=True, elem_id="lq-setup") as setup:
            gr.HTML("<h3>先选一次，下次自动记住</h3>")
            province = gr.Radio([NO_REGION, *PROVINCES], label="你在哪个省（区、市）工作？", elem_id="lq-province", elem_classes=["lq-chips"])
            city = gr.Radio([], label="哪个城市？", visible=False, elem_id="lq-city", elem_classes=["lq-chips"])
            job = gr.Radio(JOBS, label="你做什么工作？", elem_id="lq-job", elem_classes=["lq-chips"])
            save = gr.Button("好了，开始提问", variant="primary", elem_classes=["lq-big"], elem_id="lq-save")
        visit = gr.BrowserState({}, storage_key="laoquan-visit", secret=PROFILE_SECRET)
        kept_reports = gr.BrowserState([], storage_key="laoquan-reports", secret=PROFILE_SECRET)  # 「我的诉求」 (not inside the
        # closed accordion: a component there is mounted only when it opens, and would not read the browser's copy on load)
        with gr.Accordion("新政策", open=False, elem_id="lq-news") as news_box:
            news = gr.HTML("", elem_id="lq-news-view")
        with gr.Accordion("服务站点 · 一键导航", open=False, elem_id="lq-services") as services_box:
            near = gr.Button("附近：用手机定位找最近的", elem_id="lq-near", elem_classes=["lq-big"])
            services_view = gr.HTML("", elem_id="lq-services-view")
            geo = gr.Textbox("", elem_id="lq-geo", elem_classes=["lq-hidden"], show_label=False, container=False)
        transcript = gr.HTML(render([]), elem_id="lq-transcript", js_on_load=CLICK_JS, autoscroll=False)
        notice = gr.HTML("", elem_id="lq-notice")
        question = gr.Textbox(label="你的问题", placeholder="用大白话说说你遇到的情况，例如：送外卖路上被车撞了，算工伤吗？", lines=2,
                              elem_id="lq-question")
        send = gr.Button("提问", variant="primary", elem_classes=["lq-big"], elem_id="lq-send")
        with gr.Accordion("诉求反映：把遇到的问题告诉站点工作人员", open=False, elem_id="lq-report"):
            gr.HTML('<p class="lq-small">工作人员会看到你写的内容，帮你转给 12333、工会、调解中心或法律援助。'
                    '手机号、身份证号等会自动遮掉，只有“怎么联系你”一栏按原样保存，只给工作人员看。</p>')
            what = gr.Textbox(label="发生了什么（必填）", lines=4, elem_id="lq-report-what")
            platform = gr.Textbox(label="哪个平台或公司", elem_id="lq-report-platform")
            report_city = gr.Textbox(label="在哪个城市", elem_id="lq-report-city")
            contact = gr.Textbox(label="怎么联系你（可不填）", placeholder="手机或微信", elem_id="lq-report-contact")
            report_btn = gr.Button("提交诉求", variant="primary", elem_classes=["lq-big"], elem_id="lq-report-send")
            report_notice = gr.HTML("", elem_id="lq-report-notice", js_on_load=COPY_JS)
            my_reports = gr.HTML("", elem_id="lq-my-reports", js_on_load=COPY_JS)
            number = gr.Textbox(label="查进度：输入编号", placeholder="LQ-XXXX-XXXX", elem_id="lq-lookup-number")
            lookup_btn = gr.Button("查询", elem_classes=["lq-big"], elem_id="lq-lookup")
            lookup_out = gr.HTML("", elem_id="lq-lookup-out")
        gr.HTML('<p class="lq-small">不用注册。除了你主动点的“有用/没用”和提交的诉求，这里不保存你的任何信息；'
                '没答上来的问题会去掉个人信息后留给工作人员改进知识库。回答帮你找依据，不是律师意见。'
                '急事请拨 <a href="tel:12333">12333</a>。</p>')

        outputs = [transcript, notice, question, conv, turns]
        # Only answering waits in the queue; choosing a region, reports and look-ups never wait behind it.
        app.load(load_profile, [profile], [setup, profile_bar, profile_text, province, city, job, report_city], api_visibility="private", queue=False)
        app.load(show_my_reports, [kept_reports], [my_reports], api_visibility="private", queue=False)
        app.load(show_panels, [profile, visit], [news_box, news, visit, services_box, services_view], api_visibility="private", queue=False)
        province.change(province_changed, [province], [city], api_visibility="private", queue=False)
        save.click(save_profile, [province, city, job], [profile, setup, profile_bar, profile_text, report_city], api_name="save_profile", queue=False
                   ).then(show_chosen, [profile], [news_box, news, services_box, services_view], api_visibility="private", queue=False)
        near.click(nearby, [geo, profile], [services_view], js=NEARBY_JS, api_name="nearby", queue=False)
        change.click(lambda: (gr.update(visible=True), gr.update(visible=False)), None, [setup, profile_bar], api_visibility="private", queue=False)
        send.click(ask, [question, profile, conv, turns], outputs, api_name="ask")
        question.submit(ask, [question, profile, conv, turns], outputs, api_visibility="private")
        transcript.click(on_click, [profile, conv, turns], outputs, api_visibility="private")
        new_number = gr.State(None)
        report_btn.click(submit_report, [what, platform, report_city, contact], [report_notice, what, new_number], api_name="report", queue=False
                         ).then(keep_report, [new_number, kept_reports], [kept_reports, my_reports], api_visibility="private", queue=False)
        lookup_btn.click(lookup_report, [number], [lookup_out], api_name="lookup_report", queue=False)
        news_btn = gr.Button(visible=False)
        news_btn.click(news_api, [profile, visit], [news, visit], api_name="news", queue=False)
        services_btn = gr.Button(visible=False)
        services_btn.click(services_api, [profile], [services_view], api_name="services", queue=False)
    return app


def _city_choices(province: str | None) -> list[str]:
    cities = CITIES.get(province or "", ())
    return [WHOLE_PROVINCE, *cities] if cities else []


__all__ = ["build_worker_app", "JOBS", "EXAMPLES"]
