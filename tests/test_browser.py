"""The pages in a real browser: headless Chromium (Debian's ``chromium``, installed by ``./run``'s
set-up) driven by Playwright, at a phone's size (390×844), against the session's one web server.

A worker picks a region and a job (remembered across a reload), asks, sees the conclusion, opens a
citation and taps 有用; a staffer logs in, sees the retrieved passages and hands a worker's report
on; a worker-side page cannot reach staff data. Every request the page makes to anything but the
loopback server is blocked and fails the test (nothing phones home).

``LAOQUAN_SCREENSHOTS=1`` (or a folder) saves the main screens as PNGs to docs/screenshots/:
``LAOQUAN_SCREENSHOTS=1 .venv/bin/python -m pytest tests/test_browser.py``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import RIDER
from tests.webserver import STAFF_NAME, STAFF_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("LAOQUAN_SCREENSHOTS", "")
SHOT_DIR = Path(__file__).resolve().parent.parent / "docs" / "screenshots" if SHOTS in ("1", "true", "yes") else (Path(SHOTS) if SHOTS else None)

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (./run test installs it: apt-get install chromium)", allow_module_level=True)
from playwright.sync_api import sync_playwright  # noqa: E402  (a dev dependency)

pytestmark = pytest.mark.integration  # the real model, a real Chroma index, the sources folder


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def outside():
    """Requests the page tried to make to anything but loopback (each one blocked)."""
    return []


def phone(browser, outside, **options):
    options = {"viewport": PHONE, "device_scale_factor": 1, "is_mobile": True, "has_touch": True, "locale": "zh-CN", **options}
    context = browser.new_context(**options)

    def route(r):
        host = urlparse(r.request.url).hostname or ""
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            return r.continue_()
        outside.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    return context


def shot(page, name: str, *, full_page: bool = False) -> None:
    if SHOT_DIR is None:
        return
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # let smooth scrolling and transitions settle
    page.screenshot(path=str(SHOT_DIR / f"{name}.png"), full_page=full_page)


def box(elem_id: str) -> str:
    """The text field of a Gradio Textbox (an input or a textarea, depending on its lines)."""
    return f"#{elem_id} textarea, #{elem_id} input[type=text]"


def choose_profile(page, province: str, job: str, city: str | None = None) -> None:
    page.locator("#lq-province").get_by_label(province, exact=True).check()
    if city:
        page.locator("#lq-city").get_by_label(city, exact=True).check()
    page.locator("#lq-job").get_by_label(job, exact=True).check()
    page.click("#lq-save")
    page.wait_for_selector("#lq-profile-text", state="visible")


def ask(page, question: str) -> None:
    before = page.locator("#lq-transcript .turn").count()
    page.fill(box("lq-question"), question)
    page.click("#lq-send")
    page.wait_for_function(
        "n => document.querySelectorAll('#lq-transcript .turn').length > n && !document.querySelector('#lq-transcript .fb.pending')",
        arg=before, timeout=30_000)


def test_worker_asks_opens_a_citation_and_taps_feedback(browser, web, outside):
    context = phone(browser, outside)
    page = context.new_page()
    page.goto(web.url)
    page.wait_for_selector("#lq-transcript .examples button")
    assert page.is_visible("#lq-setup")
    page.wait_for_selector("#lq-province label")
    page.wait_for_selector("#lq-news >> text=最近的变化")  # the page's load events are done (the label says it)
    shot(page, "worker-start")

    choose_profile(page, "浙江", "外卖", city="杭州")
    assert page.inner_text("#lq-profile-text").replace(" ", "") == "杭州·外卖"
    page.reload()
    page.wait_for_selector("#lq-profile-text", state="visible")
    assert not page.is_visible("#lq-setup")  # remembered in this browser
    assert "杭州" in page.inner_text("#lq-profile-text")

    ask(page, RIDER)
    conclusion = page.locator("#lq-transcript .conclusion").last
    assert conclusion.inner_text().strip()
    assert float(conclusion.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20  # shown large
    assert page.locator("#lq-transcript a.tel").first.get_attribute("href") == "tel:12333"
    shot(page, "worker-answer")

    card = page.locator("#lq-transcript details.cite").first
    assert not card.evaluate("e => e.open")
    card.locator("summary").click()
    assert card.evaluate("e => e.open")
    quote = card.locator("blockquote.quote")
    assert quote.is_visible() and "第十四条" in quote.inner_text()
    assert "现行有效" in card.inner_text() and "施行日期" in card.inner_text()
    card.scroll_into_view_if_needed()
    page.evaluate("() => document.querySelector('#lq-transcript details.cite').scrollIntoView({block: 'start'})")
    shot(page, "worker-citation")

    # The triage question's buttons send the choice as the next message, in the same conversation.
    choices = page.locator("#lq-transcript .answer").last.locator("button.choice")
    assert choices.count() >= 2
    label = choices.first.inner_text()
    before = page.locator("#lq-transcript .turn").count()
    choices.first.click()
    page.wait_for_function("n => document.querySelectorAll('#lq-transcript .turn').length > n && !document.querySelector('#lq-transcript .fb.pending')",
                           arg=before, timeout=30_000)
    assert page.locator("#lq-transcript .turn .q").last.inner_text().endswith(label)
    followed = page.locator("#lq-transcript .answer").last
    assert "refused" not in followed.get_attribute("class") and followed.locator("details.cite").count() > 0
    # the choice answers the pending question (the injury), not 「签了劳动合同」 read as a new one
    assert "工伤" in followed.locator(".conclusion").inner_text() or "工伤保险条例" in followed.inner_text()
    assert "劳动合同应当具备" not in followed.inner_text()
    shot(page, "worker-triage-followed")

    useful_before = web.records.feedback_counts()["有用"]
    page.locator("#lq-transcript .answer").last.get_by_role("button", name="有用").click()
    page.wait_for_selector("#lq-transcript .fb.done")
    assert web.records.feedback_counts()["有用"] == useful_before + 1
    assert outside == []
    context.close()


def test_worker_taps_an_example_sees_escaped_text_and_plain_errors(browser, web, outside):
    context = phone(browser, outside)
    page = context.new_page()
    page.goto(web.url)
    page.wait_for_selector("#lq-transcript .examples button")
    choose_profile(page, "不告诉", "其他")
    assert "全国" in page.inner_text("#lq-profile-text")

    page.locator("#lq-transcript .examples button").first.click()
    page.wait_for_selector("#lq-transcript .turn .conclusion")

    page.click("#lq-send")  # empty question
    page.wait_for_selector("#lq-notice .notice.error")
    assert "请先输入" in page.inner_text("#lq-notice")

    ask(page, "<b>粗体</b>加班费怎么算？")
    last_q = page.locator("#lq-transcript .turn .q").last
    assert "<b>粗体</b>" in last_q.inner_text() and last_q.locator("b").count() == 0

    not_useful = len(web.records.queue())
    page.locator("#lq-transcript .answer").last.get_by_role("button", name="没用").click()
    page.wait_for_selector("#lq-transcript .answer >> nth=-1 >> .fb.done")
    assert len(web.records.queue()) == not_useful + 1
    assert outside == []
    context.close()


def test_staff_logs_in_sees_passages_and_handles_a_report(browser, web, outside):
    worker = phone(browser, outside)
    page = worker.new_page()
    page.goto(web.url)
    page.wait_for_selector("#lq-transcript .examples button")
    page.locator("#lq-report").get_by_text("诉求反映").click()
    page.fill(box("lq-report-what"), "站点扣了我 500 元押金不退，我的手机 13812345678")
    page.fill(box("lq-report-platform"), "美团")
    page.fill(box("lq-report-city"), "杭州")
    page.fill(box("lq-report-contact"), "13812345678")
    page.click("#lq-report-send")
    page.wait_for_selector("#lq-report-notice .notice.ok")
    number = re.search(r"LQ-[0-9A-Z]{4}-[0-9A-Z]{4}", page.inner_text("#lq-report-notice")).group(0)
    worker.close()

    context = phone(browser, outside)
    staff = context.new_page()
    staff.goto(web.url + "/staff/")
    staff.fill("input[type=text]", STAFF_NAME)
    staff.fill("input[type=password]", STAFF_PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_selector(box("lq-staff-question"), timeout=20_000)

    staff.fill(box("lq-staff-question"), RIDER)
    staff.click("#lq-staff-send")
    staff.wait_for_selector("#lq-retrieved li", timeout=30_000)
    assert staff.locator("#lq-retrieved li").count() >= 3
    assert "第十四条" in staff.inner_text("#lq-seen") and "地区过滤" in staff.inner_text("#lq-seen")
    staff.locator("#lq-seen").scroll_into_view_if_needed()
    shot(staff, "staff-chat")

    staff.get_by_role("tab", name="待处理问题").click()
    staff.wait_for_selector("#lq-queue")
    shot(staff, "staff-queue")

    staff.get_by_role("tab", name="诉求反映").click()
    staff.wait_for_selector(f"#lq-reports >> text={number}")
    row = staff.locator("#lq-reports .lq-card", has_text=number)
    assert "13812345678" in row.inner_text()  # the contact, given on purpose, is shown to staff
    assert "〔手机号〕" in row.inner_text()  # while the same number inside the story was redacted
    staff.fill(box("lq-report-number"), number)
    staff.locator("#lq-forward").get_by_label("法律援助", exact=True).check()
    staff.fill(box("lq-outcome"), "已约法律援助中心周三面谈")
    staff.click("#lq-report-save")
    staff.wait_for_selector("#lq-reports >> text=已约法律援助中心周三面谈")
    report = web.records.report(number)
    assert (report.status, report.forwarded_to) == ("已转交", "法律援助")
    staff.evaluate("() => window.scrollTo(0, 0)")
    shot(staff, "staff-report")
    assert outside == []
    context.close()


def test_worker_sees_new_policies_and_service_points_for_beijing(browser, web, outside):
    # The phone gives a position only because the test grants it; the page asks only on 「附近」.
    context = phone(browser, outside, geolocation={"latitude": 39.9042, "longitude": 116.4074}, permissions=["geolocation"])
    page = context.new_page()
    page.goto(web.url)
    page.wait_for_selector("#lq-transcript .examples button")
    choose_profile(page, "北京", "外卖")
    news = page.locator("#lq-news")
    news.get_by_text("新政策").first.click()
    page.wait_for_selector("#lq-news-list li.news-item")
    first = page.locator("#lq-news-list li.news-item").first
    assert first.locator("p.change").inner_text().strip()  # what changed, in one line
    assert page.locator("#lq-news-list li.news-item p.one-line").first.inner_text().strip()  # a plain 要点 line where there is one
    first.locator("details.cite summary").click()
    assert first.locator("details.cite").evaluate("e => e.open") and first.locator(".cite-body dl").is_visible()
    assert page.locator("#lq-news-list a", has_text="Atom 订阅").get_attribute("href") == "/feeds/beijing/waimai.xml"
    page.evaluate("() => document.querySelector('#lq-news').scrollIntoView({block: 'start'})")
    shot(page, "worker-news")
    news.get_by_text("新政策").first.click()  # close it again

    page.locator("#lq-services").get_by_text("服务站点").first.click()
    page.wait_for_selector("#lq-services-list li.point")
    points = page.locator("#lq-services-list li.point")
    assert points.count() >= 10 and "仲裁" in points.first.inner_text()
    assert points.first.locator("a.map", has_text="高德").get_attribute("href").startswith("https://uri.amap.com/")
    assert "核实于" in points.first.inner_text()
    page.evaluate("() => document.querySelector('#lq-services').scrollIntoView({block: 'start'})")
    shot(page, "worker-services")
    page.click("#lq-near")
    page.wait_for_selector("#lq-services-list .svc-note")
    text = page.inner_text("#lq-services-list")
    assert "你在北京市东城区一带" in text and "按所在区估算" in text  # estimates, said plainly
    assert page.locator("#lq-services-list li.point").count() == 5 + page.locator("#lq-services-list .dist.unplaced").count()  # then 位置未知
    page.evaluate("() => document.querySelector('#lq-services-list').scrollIntoView({block: 'start'})")
    shot(page, "worker-nearby")

    # an answer's referral: tapping 「当地办事地点」 shows Beijing's arbitration windows with map-app links
    ask(page, "老板拖欠我三个月工资不给，怎么办")
    places = page.locator("#lq-transcript .turn").last.locator("details.places").first
    places.locator("summary").click()
    first = places.locator("li.place").first
    assert "仲裁" in first.inner_text() and first.is_visible()
    assert first.locator("a", has_text="高德").get_attribute("href").startswith("https://uri.amap.com/search?")
    assert first.locator("a", has_text="百度").get_attribute("href").startswith("baidumap://map/place/search?")
    places.evaluate("e => e.scrollIntoView({block: 'start'})")
    shot(page, "worker-referral-places")
    assert outside == []
    context.close()


def test_staff_sees_the_dashboard(browser, web, outside):
    from tests.test_dashboard import seed_month

    seed_month(web.records)  # a month of traffic (2026-W45 … W48)
    context = phone(browser, outside)
    staff = context.new_page()
    staff.goto(web.url + "/staff/")
    staff.fill("input[type=text]", STAFF_NAME)
    staff.fill("input[type=password]", STAFF_PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_selector(box("lq-staff-question"), timeout=20_000)
    staff.get_by_role("tab", name="看板").click()
    staff.wait_for_selector("#lq-plot-topics img", timeout=30_000)
    assert "拒答率" in staff.inner_text("#lq-dash-summary")
    assert staff.locator("#lq-need-vetting tr").count() >= 2
    assert "〔手机号〕" in staff.inner_text("#lq-need-vetting") and "13812345678" not in staff.inner_text("#lq-need-vetting")
    link = staff.locator('#lq-dash-files a[download="asked_by_week.csv"]')
    link.wait_for()
    csv_text = staff.evaluate("u => fetch(u).then(r => r.text())", link.get_attribute("href"))  # with the staffer's login
    assert csv_text.lstrip("\ufeff").startswith("week,asked,refused,refusal_rate") and "2026-W45" in csv_text
    size = staff.locator("#lq-plot-topics img").evaluate("e => [e.naturalWidth, e.naturalHeight]")
    assert size[0] > 300 and size[1] > 150
    staff.locator("#lq-dash").scroll_into_view_if_needed()
    shot(staff, "staff-dashboard", full_page=True)
    assert outside == []
    context.close()


def test_worker_pages_cannot_reach_staff_data(browser, web, outside):
    web.records.add_report(what="秘密的诉求内容", contact="13700000000")
    context = phone(browser, outside)
    page = context.new_page()
    page.goto(web.url)
    page.wait_for_selector("#lq-transcript")
    status = page.evaluate("() => fetch('/staff/gradio_api/info').then(r => r.status)")
    assert status == 401
    body = page.evaluate("() => fetch('/gradio_api/info').then(r => r.text())")
    assert "reports" not in body and "staff" not in body
    page.goto(web.url + "/staff/")
    page.wait_for_selector("input[type=password]")
    assert "秘密的诉求内容" not in page.content() and "13700000000" not in page.content()
    context.close()


def test_a_full_server_says_busy_in_chinese(browser, bot, workspace, tmp_path, outside):
    from tests.webserver import start

    server = start(bot, workspace, tmp_path, queue_max=0)  # every answer is refused at the door
    context = phone(browser, outside)
    try:
        page = context.new_page()
        page.goto(server.url)
        page.wait_for_selector("#lq-transcript .examples button")
        choose_profile(page, "广东", "快递")  # choosing never waits in the queue
        page.fill(box("lq-question"), "加班费怎么算")
        page.click("#lq-send")
        page.wait_for_selector("text=服务器忙不过来")
        assert "This application" not in page.inner_text("body")
    finally:
        context.close()
        server.stop()


# -- a rider on a cheap phone, a slow network, WeChat's browser (issue 18) --------------------------

SMALL_TEXT_JS = """(sel) => { const out = []; for (const root of document.querySelectorAll(sel)) for (const el of [root, ...root.querySelectorAll('*')]) {
  if (!el.getClientRects().length || el.closest('svg')) continue;
  if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
  const size = parseFloat(getComputedStyle(el).fontSize);
  if (size < 16) out.push([el.tagName, el.className, size, el.textContent.trim().slice(0, 16)]); } return out; }"""
"""Visible elements with text of their own under 16 px (the sketch map's SVG labels aside)."""
TARGETS_JS = """(sel) => [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length).map(e => {
  const r = e.getBoundingClientRect(); return [e.textContent.trim().slice(0, 12), Math.round(r.width), Math.round(r.height)]; })"""


def axe_serious(page) -> list[str]:
    """axe-core's serious and critical violations of WCAG 2.1 A/AA on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    return [f'{v["id"]} ({v["impact"]}): {[n["target"] for n in v["nodes"][:3]]}' for v in result.response["violations"]
            if v["impact"] in ("serious", "critical")]


def small_targets(page, selector: str) -> list:
    return [t for t in page.evaluate(TARGETS_JS, selector) if t[1] < 44 or t[2] < 44]


def test_lite_page_answers_without_javascript_under_60_kb(browser, web, outside):
    context = phone(browser, outside, java_script_enabled=False)
    page = context.new_page()
    first = page.goto(web.url + "/lite")
    assert first.status == 200 and first.request.sizes()["responseBodySize"] <= 60_000
    assert page.title() == "劳权通 · 简洁版"
    page.fill("#q", RIDER)
    page.select_option("#province", "浙江")
    page.select_option("#city", "杭州")
    page.select_option("#job", "外卖")
    page.click("form.ask button[type=submit]")
    page.wait_for_selector("#lq-transcript .conclusion")
    assert "/lite?q=" in page.url and "province=" in page.url
    assert page.locator("#lq-transcript details.cite").count() >= 1
    page.locator("#lq-transcript details.cite summary").first.click()  # a card opens without any script
    assert page.locator("#lq-transcript details.cite blockquote.quote").first.is_visible()
    assert page.locator('footer a[href="tel:12333"]').count() == 1
    assert page.locator("#province option[selected]").inner_text() == "浙江"
    shot(page, "lite-answer", full_page=True)
    page.goto(web.url + "/lite?q=" + RIDER + "&province=火星")
    assert "没有“火星”这个省份" in page.inner_text("#lq-notice")
    assert outside == []
    context.close()


def test_lite_and_worker_page_meet_wcag_aa_at_phone_size(browser, web, outside):
    context = phone(browser, outside)
    page = context.new_page()
    page.goto(web.url + "/lite?q=" + RIDER + "&province=浙江&city=杭州&job=外卖")
    page.wait_for_selector("#lq-transcript .conclusion")
    assert axe_serious(page) == []
    assert page.evaluate(SMALL_TEXT_JS, "body") == []
    assert small_targets(page, "a, button, select, summary") == []

    page.goto(web.url)
    page.wait_for_selector("#lq-transcript .examples button")
    choose_profile(page, "浙江", "外卖", city="杭州")
    ask(page, RIDER)
    page.locator("#lq-news").get_by_text("新政策").first.click()
    page.locator("#lq-services").get_by_text("服务站点").first.click()
    page.wait_for_selector("#lq-services-list li.point")
    assert axe_serious(page) == []  # contrast of the main buttons (提问 was white on #10B981, 2.54:1) among them
    assert page.evaluate(SMALL_TEXT_JS, "#lq-transcript, #lq-news, #lq-services, #lq-question") == []
    assert small_targets(page, "#lq-transcript a.cite-ref, .lq-panel .source a, a[href^='tel:']") == []
    assert page.evaluate("() => getComputedStyle(document.querySelector('#lq-send')).backgroundColor") == "rgb(11, 107, 79)"
    assert outside == []
    context.close()


def test_worker_page_without_javascript_points_to_lite_and_says_what_it_is(browser, web, outside):
    context = phone(browser, outside, java_script_enabled=False)
    page = context.new_page()
    page.goto(web.url)
    assert page.title() == "劳权通 · 问政策"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator('meta[property="og:title"]').first.get_attribute("content") == "劳权通 · 问政策"
    page.get_by_role("link", name="简洁版").click()
    page.wait_for_selector("form.ask")
    assert page.url.endswith("/lite")
    context.close()
    slow = phone(browser, outside)
    page = slow.new_page()
    page.add_init_script("Object.defineProperty(navigator, 'connection', {value: {effectiveType: '3g', saveData: false}})")
    page.goto(web.url)
    page.wait_for_selector("#lq-slow a[href='/lite']")  # offered on a slow connection
    slow.close()


def test_a_report_number_is_unbroken_copyable_and_kept_in_the_browser(browser, web, outside):
    context = phone(browser, outside)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web.url)
    page = context.new_page()
    page.goto(web.url)
    page.wait_for_selector("#lq-transcript .examples button")
    choose_profile(page, "浙江", "外卖", city="杭州")
    page.locator("#lq-report").get_by_text("诉求反映").click()
    assert page.input_value(box("lq-report-city")) == "杭州"  # from the chosen profile
    page.fill(box("lq-report-what"), "平台连续三周少算了我的配送费")
    page.click("#lq-report-send")
    number_box = page.locator("#lq-report-notice .lq-number")
    number_box.wait_for()
    number = number_box.inner_text()
    assert re.fullmatch(r"LQ-[0-9A-Z]{4}-[0-9A-Z]{4}", number)
    height = number_box.evaluate("e => e.getClientRects().length")
    assert height == 1  # one box: the number does not wrap
    page.locator("#lq-report-notice button.lq-copy").click()
    page.wait_for_function("() => document.querySelector('#lq-report-notice button.lq-copy').textContent === '已复制'")
    assert page.evaluate("() => navigator.clipboard.readText()") == number
    page.reload()
    page.wait_for_selector("#lq-transcript .examples button")
    page.locator("#lq-report").get_by_text("诉求反映").click()
    page.wait_for_selector(f"#lq-my-reports >> text={number}")  # kept in this browser: looked up again after a reload
    assert "已收到" in page.inner_text("#lq-my-reports")
    assert page.input_value(box("lq-report-city")) == "杭州"
    assert outside == []
    context.close()


def test_staff_page_redirects_keeps_its_tabs_still_and_handles_items_by_button(browser, web, outside):
    web.records.add_refused(question="啊啊啊啊啊啊", region=None, reason="not_found")
    web.records.add_refused(question="骑手在小区门口摔伤了找谁赔", region="杭州", reason="not_found")
    context = phone(browser, outside, viewport={"width": 1280, "height": 800}, is_mobile=False, has_touch=False)  # a station's desk
    staff = context.new_page()
    staff.goto(web.url + "/staff")  # no slash
    staff.wait_for_selector("input[type=password]")
    assert urlparse(staff.url).path.startswith("/staff/")
    staff.fill("input[type=text]", STAFF_NAME)
    staff.fill("input[type=password]", STAFF_PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_selector(box("lq-staff-question"), timeout=20_000)
    assert staff.title() == "劳权通 · 工作人员"
    where = []
    for name in ("待处理问题", "诉求反映", "看板", "问答"):
        staff.get_by_role("tab", name=name).click()
        staff.wait_for_timeout(600)
        where.append(staff.get_by_role("tab", name="问答").bounding_box()["x"])
    assert max(where) - min(where) < 1, where  # the tab bar does not jump sideways
    staff.get_by_role("tab", name="待处理问题").click()
    card = staff.locator("#lq-queue > .lq-card", has_text="骑手在小区门口摔伤了找谁赔")
    card.wait_for()
    assert staff.locator("#lq-queue-junk").get_attribute("open") is None and "啊啊啊啊啊啊" in staff.locator("#lq-queue-junk").text_content()  # collapsed
    assert "啊啊啊啊啊啊" not in staff.locator("#lq-queue > .lq-card").all_inner_texts()[0]
    staff.fill(box("lq-handle-note"), "补了问法")
    button = card.locator("button.lq-handle").first
    item = int(button.get_attribute("data-id"))
    button.click()
    staff.wait_for_selector(f"#lq-queue-notice >> text=第 {item} 条已标记为处理")
    assert staff.locator(f'#lq-queue button[data-id="{item}"]').count() == 0
    assert all(q.id != item for q in web.records.queue())
    staff.get_by_role("tab", name="看板").click()
    staff.locator("#lq-dash-files a[download]").first.wait_for(timeout=30_000)
    assert staff.evaluate("() => [...document.querySelectorAll('#lq-dash-files button')].filter(b => b.getClientRects().length).length") == 0
    staff.locator("#lq-staff-services-box").get_by_text("服务站点目录").click()
    staff.wait_for_selector("#lq-staff-services li.point")
    assert "核实备注" in staff.inner_text("#lq-staff-services")
    shot(staff, "staff-queue-buttons")
    assert outside == []
    context.close()


def test_pages_work_under_the_content_security_policy(browser, web, outside):
    """bot.web_security's CSP, X-Frame-Options and the other headers do not break either page: the
    worker asks and is answered, the staffer logs in, and the browser reports no CSP violation."""
    context = phone(browser, outside)
    page = context.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    page.on("pageerror", lambda e: refused.append(str(e)))
    response = page.goto(web.url)
    assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")
    choose_profile(page, "浙江", "外卖", city="杭州")
    ask(page, RIDER)
    assert page.locator("#lq-transcript .conclusion").count() >= 1
    staff = context.new_page()
    staff.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    staff.goto(web.url + "/staff/")
    staff.fill("input[type=text]", STAFF_NAME)
    staff.fill("input[type=password]", STAFF_PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_selector(box("lq-staff-question"), timeout=20_000)
    assert refused == [] and outside == []
    context.close()
