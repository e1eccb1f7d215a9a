"""``/lite``: the worker page for a cheap phone, a slow network or WeChat's in-app browser.

Plain server-rendered HTML with no framework JavaScript (it works with JavaScript off): a form
(question, province, city, job) that sends ``GET /lite?q=…&province=…&city=…&job=…``, and the answer
in the returned page itself, laid out as on the Gradio page (:func:`bot.render.answer_html`):
conclusion, points, 行动清单, citation cards with the original text, who to call, and the 12333
line. A triage question's choices are plain links (``choice=``): the server asks the original
question again and then the choice, so nothing about the worker is kept between two pages.

Bad input (an unknown province, a city of another province, an empty or overlong question) is said
in plain Chinese in the page, with the form still filled in. The CSS is inline (one request, one
page); :data:`LITE_BUDGET_BYTES` is what a first load may weigh.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

from bot.asking import BROKEN, Asker, region_of, topic_of
from bot.conversation import Conversation
from bot.guards import QuestionError, clean_question
from bot.profile_check import ProfileError, ProfileProblem, checked_profile
from bot.protocols import Bot
from bot.records import Records
from bot.render import CSS, answer_html, esc, notice_html
from bot.workers import Busy
from corpus.changes import JOBS
from corpus.regions import CITIES, PROVINCES

log = logging.getLogger(__name__)

LITE_PATH = "/lite"
LITE_BUDGET_BYTES = 60_000
"""A first load of ``/lite`` (the page with its inline CSS; nothing else is fetched) stays under this."""
TITLE = "劳权通 · 简洁版"
DESCRIPTION = "外卖、快递、网约车、货运、主播的劳动权益问答：只按法规原文回答，条条有出处。不用注册，网速慢也能用。"
MAX_FIELD = 40
"""Province, city, job and a triage choice are short words; anything longer is not one of ours."""


class LiteInputError(ValueError):
    """A form value the page cannot use; ``message`` is one plain Chinese sentence."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LiteRequest:
    """What the form sent, checked: a known province, a city of that province, a known job."""

    question: str = ""
    province: str | None = None
    city: str | None = None
    job: str | None = None
    choice: str | None = None
    """A tapped triage choice (the answer to the question the bot asked back about ``question``)."""

    @property
    def profile(self) -> dict:
        return {"province": self.province, "city": self.city, "job": self.job}

    @property
    def region(self) -> str | None:
        return region_of(self.profile)

    def query(self, **changes) -> str:
        """This request's URL (with ``changes``), for a triage link."""
        fields = {"q": self.question, "province": self.province, "city": self.city, "job": self.job, "choice": self.choice, **changes}
        return LITE_PATH + "?" + urlencode({k: v for k, v in fields.items() if v})


def parse_lite_request(params) -> LiteRequest:
    """The form's values (a mapping of query parameters), checked; :class:`LiteInputError` when one
    is not a choice the form offers. A city alone implies its province."""
    def field(name: str) -> str | None:
        value = (params.get(name) or "").strip()
        if len(value) > MAX_FIELD:
            raise LiteInputError("填的内容太长了，请从列表里选。")
        return value or None

    province, city, job, choice = field("province"), field("city"), field("job"), field("choice")
    question = (params.get("q") or "").strip()
    try:
        checked = checked_profile(province=province, city=city, job=job)
    except ProfileError as exc:
        raise LiteInputError(_lite_sentence(exc)) from exc
    province, city, job = checked.province, checked.city, checked.job
    return LiteRequest(question=question, province=province, city=city, job=job, choice=choice)


def _lite_sentence(error: ProfileError) -> str:
    """The page's sentence for a value its lists do not offer."""
    value = error.value[:10]
    if error.problem == ProfileProblem.UNKNOWN_PROVINCE:
        return f"没有“{value}”这个省份，请从列表里选，或者选“不告诉”。"
    if error.problem == ProfileProblem.UNKNOWN_CITY:
        return f"没有“{value}”这个城市的选项，请从列表里选，或者只选省份。"
    if error.problem == ProfileProblem.CITY_ELSEWHERE:
        return f"{error.value}不在{error.province}，请重新选省份或城市。"
    return f"没有“{value}”这种工作的选项，请从列表里选。"


def _options(values, chosen: str | None, *, blank: str) -> str:
    items = [f'<option value="">{esc(blank)}</option>']
    items += [f'<option{" selected" if v == chosen else ""}>{esc(v)}</option>' for v in values]
    return "".join(items)


def _city_options(chosen: str | None) -> str:
    groups = "".join(f'<optgroup label="{esc(p)}">' + "".join(f'<option{" selected" if c == chosen else ""}>{esc(c)}</option>' for c in cities)
                     + "</optgroup>" for p, cities in CITIES.items())
    return f'<option value="">全省 / 不选城市</option>{groups}'


def form_html(request: LiteRequest) -> str:
    """The question form: a GET form, so an answer page is a link that can be shared and reloaded."""
    return (f'<form class="ask" method="get" action="{LITE_PATH}">'
            f'<label for="q">你的问题</label>'
            f'<textarea id="q" name="q" rows="3" maxlength="2000" placeholder="用大白话说说你遇到的情况，例如：送外卖路上被车撞了，算工伤吗？">{esc(request.question)}</textarea>'
            f'<div class="row"><div><label for="province">省份</label><select id="province" name="province">{_options(PROVINCES, request.province, blank="不告诉")}</select></div>'
            f'<div><label for="city">城市</label><select id="city" name="city">{_city_options(request.city)}</select></div>'
            f'<div><label for="job">工作</label><select id="job" name="job">{_options(JOBS, request.job, blank="不选")}</select></div></div>'
            f'<button type="submit">提问</button></form>')


def lite_css() -> str:
    """The answer card's rules of :data:`bot.render.CSS` (those of ``#lq-transcript``, notices and
    small print) plus the page's own layout: no Gradio rules, nothing fetched."""
    keep = ("#lq-transcript", ".notice", ".lq-small", ":root", ".lq-sr")
    answer = "\n".join(line for line in CSS.splitlines() if line.startswith(keep))
    return answer + LITE_LAYOUT


LITE_LAYOUT = """
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 18px/1.6 system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif; color: #13251d; background: #fff; }
main { max-width: 680px; margin: 0 auto; padding: 10px 12px 32px; }
header h1 { font-size: 1.5rem; margin: 0.2rem 0; }
header p { margin: 0 0 8px; color: #4a4a4a; font-size: 1rem; }
a { color: #0b6b4f; }
form.ask label { display: block; font-weight: 600; margin: 10px 0 4px; }
form.ask textarea, form.ask select { width: 100%; box-sizing: border-box; font: inherit; border: 1px solid #6b7d75; border-radius: 10px; }
form.ask textarea { padding: 10px 12px; min-height: 6em; }
form.ask select { min-height: 48px; padding: 6px 8px; background: #fff; color: #13251d; }
form.ask .row { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
form.ask button { display: block; width: 100%; min-height: 52px; margin: 14px 0 4px; font: inherit; font-size: 1.1rem; font-weight: 700;
  color: #fff; background: #0b6b4f; border: 0; border-radius: 12px; cursor: pointer; }
.turn .q { background: #eef3ff; border-radius: 12px; padding: 10px 14px; margin: 14px 0 10px; }
#lq-transcript a.choice { display: inline-flex; align-items: center; min-height: 48px; padding: 8px 18px; border-radius: 10px;
  border: 2px solid #0b6b4f; color: #0b6b4f; font-weight: 600; text-decoration: none; }
footer { margin-top: 18px; }
footer a.call, footer a.full { display: inline-flex; align-items: center; min-height: 44px; min-width: 44px; }
"""


def lite_page(request: LiteRequest, *, body: str = "", notice: str = "") -> str:
    """The whole page: head (title, description, preview tags), form, the notice, the answer, footer."""
    title = f"{request.question[:30]}" + (" · " if request.question else "") + TITLE
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{esc(title)}</title><meta name="description" content="{esc(DESCRIPTION)}">'
        f'<meta property="og:title" content="{esc(TITLE)}"><meta property="og:description" content="{esc(DESCRIPTION)}">'
        '<meta property="og:type" content="website">'
        f'<style>{lite_css()}</style></head><body><main>'
        f'<header><h1>劳权通</h1><p>{esc(DESCRIPTION)}</p></header>'
        f'{form_html(request)}<div id="lq-notice">{notice}</div><div id="lq-transcript">{body}</div>'
        '<footer class="lq-small"><p>急事请拨 <a class="call" href="tel:12333">12333</a>（人社服务热线）。'
        '不用注册，这个页面不保存你的任何个人信息；没答上来的问题会去掉个人信息后留给工作人员改进知识库。回答帮你找依据，不是律师意见。</p>'
        '<p><a class="full" href="/">打开完整版（能记住地区、查附近站点、提交诉求）</a></p></footer>'
        '</main></body></html>'
    )


def answer_body(request: LiteRequest, answer: dict, *, vetted: dict | None = None) -> str:
    choice_href = lambda choice: request.query(choice=choice)  # noqa: E731
    asked = request.choice or request.question
    return (f'<article class="turn"><h2 class="lq-sr">回答</h2><div class="q"><span>你问</span>{esc(asked)}</div>'
            + answer_html(answer, turn=0, vetted=vetted, choice_href=choice_href) + "</article>")


def lite_router(bot: Bot, records: Records, settings):
    """A FastAPI router serving ``GET /lite`` (include it before the Gradio page mounted at ``/``)."""
    from fastapi import APIRouter
    from fastapi.responses import HTMLResponse

    asker = Asker(bot, records, settings)
    router = APIRouter()

    def answer_for(request: LiteRequest) -> tuple[dict, dict | None]:
        """(the answer as JSON, the vetted answer when staff approved one)."""
        clean_question(request.question, max_chars=settings.answer.max_question_chars)
        conversation = Conversation()
        if request.job:
            conversation.job = request.job
        if not request.choice:
            vetted = asker.vetted(request.question, request.region, conversation)
            if vetted:
                return vetted["answer"], vetted
        answer = bot.ask(request.question, region=request.region, conversation=conversation)
        if request.choice:  # the question again, then the tapped choice as the answer to what it asked back
            answer = bot.ask(request.choice, region=request.region, conversation=conversation)
        return answer.to_json(), None

    @router.get(LITE_PATH, include_in_schema=False)
    def lite(http: Request):
        try:
            request = parse_lite_request(http.query_params)
        except LiteInputError as exc:
            raw = http.query_params
            kept = LiteRequest(question=(raw.get("q") or "")[:2000])
            return HTMLResponse(lite_page(kept, notice=notice_html(exc.message)), status_code=400)
        if "q" not in http.query_params:
            return HTMLResponse(lite_page(request))
        try:
            data, vetted = answer_for(request)
        except QuestionError as exc:
            return HTMLResponse(lite_page(request, notice=notice_html(exc.message)), status_code=400)
        except Busy as exc:  # every answer worker busy: the busy sentence at once, and when to try again
            return HTMLResponse(lite_page(request, notice=notice_html(exc.message)), status_code=503,
                                headers={"Retry-After": str(exc.retry_after)})
        except Exception:  # never a stack trace to a worker
            log.exception("lite answering failed")
            return HTMLResponse(lite_page(request, notice=notice_html(BROKEN)), status_code=500)
        _count(records, request, data, settings, vetted=vetted is not None)
        return HTMLResponse(lite_page(request, body=answer_body(request, data, vetted=vetted)))

    return router


def _count(records: Records, request: LiteRequest, data: dict, settings, *, vetted: bool) -> None:
    """As the Gradio page does: one anonymous line in ``asked``; a refused question (redacted) to the
    staff queue. Never fails the answer."""
    try:
        records.add_asked(region=request.region, job=request.job, topic=topic_of(data), outcome=data.get("outcome", ""),
                          reason="vetted" if vetted else (data.get("reason") or ""))
        if data.get("outcome") == "refused" and settings.web.queue_refused and data.get("reason") not in ("injection",):
            records.add_refused(question=data.get("question") or request.question, region=request.region, reason=data.get("reason"))
    except Exception:
        log.exception("could not count a lite answer")


__all__ = ["lite_router", "lite_page", "parse_lite_request", "LiteRequest", "LiteInputError", "LITE_PATH", "LITE_BUDGET_BYTES"]
