"""The open REST API, ``/api/v1`` (documented at ``/api/docs``): what the worker page does, for other
front ends — a union's WeChat account, a hotline tool, a mini-program, an evaluation script.

- ``POST /api/v1/ask``: the JSON of ``laoquan ask --json`` (plus ``conversation_id``); with
  ``"stream": true``, Server-Sent Events: ``conclusion``, then one ``point`` per point, one
  ``citation`` per citation, ``actions`` (行动清单, when there is one), ``done`` (the whole answer).
- ``POST /api/v1/ask/batch``: JSON Lines in, JSON Lines out — exactly one output line per input
  line, in order, each with the caller's ``id`` and the input ``line`` number; a blank or bad line
  gets ``{"error": …}``, so outputs never shift.
- ``GET /api/v1/documents``, ``/documents/{id}``, ``/documents/{id}/articles/{article}``; ``GET
  /api/v1/services``; ``GET /api/v1/feeds`` (links to the Atom / JSON feeds at ``/feeds``).
- ``POST /api/v1/feedback``, ``POST /api/v1/reports``, ``GET /api/v1/reports/{number}``.

Errors: :mod:`bot.api_errors`. Every answer goes through :func:`bot.api_answers.answer_stream`.
``/ask`` is an ``async`` route: its answering (the bot, the records) is handed to the answer pool
(:mod:`bot.workers`) and awaited, so a full pool is a 503 at once and the event loop (``/healthz``)
never waits behind answers.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.api_answers import MAX_HISTORY, ApiAsking, NoAnswer, Question, after_first, with_first
from bot.api_errors import ApiError, ApiProblem, ErrorCode, validation_problem
from bot.api_limits import AskLimits
from bot.asking import BROKEN
from bot.feeds import JOB_PINYIN
from bot.guards import QuestionError
from bot.profile_check import CheckedProfile, ProfileError, ProfileProblem, accepted_zh, checked_profile
from bot.records import RecordError, Records
from bot.results import Answer
from bot.workers import AnswerPool, Busy

log = logging.getLogger(__name__)

MAX_FIELD = 4000
"""Characters any text field may carry (the bot's own, smaller limit on a question is checked by it)."""

QUESTION_ERRORS_EN = {
    "empty": "The question is empty.",
    "too_long": "The question is too long.",
    "no_text": "The question has no words in it.",
}


class AskBody(BaseModel):
    """One question. ``city`` wins over ``province`` when both are given (as on the page)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=MAX_FIELD, description="The worker's question, in their own words", examples=["送外卖路上被车撞了，算工伤吗？"])
    province: str | None = Field(None, max_length=20, examples=["浙江"])
    city: str | None = Field(None, max_length=20, examples=["杭州"])
    job: str | None = Field(None, max_length=20, description="外卖 / 快递 / 网约车 / 货运 / 主播 / 家政 / 其他")
    as_of: date | None = Field(None, description="The rules in force on this day (default: today)")
    history: list[Annotated[str, Field(max_length=MAX_FIELD)]] = Field(default_factory=list, max_length=MAX_HISTORY,
                                                                      description="The worker's earlier questions, oldest first")
    conversation_id: str | None = Field(None, max_length=64, description="Continue a conversation the server keeps (returned by every answer)")
    stream: bool = Field(False, description="Server-Sent Events instead of one JSON object")

    def to_question(self) -> Question:
        """The question as asked; :class:`ApiError` 422 for a province, city or job not offered."""
        profile = api_profile(province=self.province, city=self.city, job=self.job)
        return Question(text=self.question, region=profile.region, job=profile.job, as_of=self.as_of,
                        history=tuple(self.history), conversation_id=self.conversation_id)


def api_profile(*, province: str | None, city: str | None, job: str | None) -> CheckedProfile:
    """Province, city and job checked as ``/lite`` checks them (422 in the API's shape, listing what is accepted)."""
    try:
        return checked_profile(province=province, city=city, job=job)
    except ProfileError as exc:
        field = "job" if exc.problem == ProfileProblem.UNKNOWN_JOB else ("province" if exc.problem == ProfileProblem.UNKNOWN_PROVINCE else "city")
        raise ApiError(422, ErrorCode.INVALID, accepted_zh(exc), f"Unknown {field} '{exc.value[:20]}': see message_zh for the accepted values.") from exc


class BatchLine(AskBody):
    id: str | int | None = Field(None, description="Yours: given back on the output line")
    stream: Literal[False] = False


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=MAX_FIELD)
    useful: bool
    province: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=20)
    outcome: str = Field("", max_length=20)
    reason: str = Field("", max_length=40)
    conclusion: str = Field("", max_length=MAX_FIELD)
    doc_ids: list[str] = Field(default_factory=list, max_length=50)


class ReportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what: str = Field(max_length=MAX_FIELD, description="What happened (required)")
    platform: str = Field("", max_length=200)
    city: str = Field("", max_length=50)
    contact: str = Field("", max_length=200, description="How staff can reach the worker (kept as typed, shown to staff only)")


def question_error(exc: QuestionError) -> ApiError:
    return ApiError(400, exc.code, exc.message, QUESTION_ERRORS_EN.get(exc.code, "The bot cannot take this question as sent."))


def answer_json(answer: Answer, conversation_id: str | None) -> dict:
    data = answer.to_json()
    if conversation_id is not None:
        data["conversation_id"] = conversation_id
    return data


def sse(event: str, data) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def conclusion_event(answer: Answer) -> dict:
    """The first event: the conclusion, the outcome, and whether a staffer vetted the answer."""
    return {"conclusion": answer.conclusion, "outcome": str(answer.outcome), "vetted": answer.to_json()["vetted"]}


def answer_events(answers: Iterator[Answer], conversation_id: str | None) -> Iterator[str]:
    """The SSE events of one answer: the conclusion as soon as the bot has it, then the points,
    the citations, the 行动清单, and ``done`` with the whole answer (``error`` if it failed)."""
    answer = None
    told_conclusion = False
    try:
        for answer in answers:
            if not told_conclusion and answer.conclusion:
                yield sse("conclusion", conclusion_event(answer))
                told_conclusion = True
    except QuestionError as exc:
        yield sse("error", question_error(exc).problem.to_json())
        return
    except Exception:
        log.exception("API answer failed")
        yield sse("error", _internal().to_json())
        return
    if answer is None:
        yield sse("error", _internal().to_json())
        return
    data = answer_json(answer, conversation_id)
    if not told_conclusion:
        yield sse("conclusion", conclusion_event(answer))
    for i, point in enumerate(data["points"], start=1):
        yield sse("point", {"i": i, "text": point})
    for citation in data["citations"]:
        yield sse("citation", citation)
    if data.get("actions"):
        yield sse("actions", data["actions"])
    yield sse("done", data)


def _internal() -> ApiProblem:
    return ApiProblem(ErrorCode.INTERNAL, BROKEN, "The server failed to answer; try again later.")


def batch_outputs(lines: list[str], asking: ApiAsking) -> Iterator[str]:
    """One JSON line per input line, in order (see the module docstring)."""
    for n, raw in enumerate(lines, start=1):
        yield json.dumps(batch_output(n, raw, asking), ensure_ascii=False) + "\n"


def batch_output(n: int, raw: str, asking: ApiAsking) -> dict:
    ident = None
    if not raw.strip():
        return {"id": None, "line": n, "error": ApiProblem(ErrorCode.NO_QUESTION, "这一行是空的。", "Blank line.").to_json()["error"]}
    try:
        data = json.loads(raw)
    except ValueError:
        return {"id": None, "line": n, "error": ApiProblem(ErrorCode.BAD_JSON, "这一行不是有效的 JSON。", "This line is not valid JSON.").to_json()["error"]}
    if isinstance(data, dict):
        ident = data.get("id") if isinstance(data.get("id"), (str, int)) else None
    try:
        line = BatchLine.model_validate(data)
        question = line.to_question()
        conversation_id, answer = asking.final(question)
    except ValidationError as exc:
        return {"id": ident, "line": n, "error": validation_problem(list(exc.errors())).to_json()["error"]}
    except ApiError as exc:
        return {"id": ident, "line": n, "error": exc.problem.to_json()["error"]}
    except QuestionError as exc:
        return {"id": ident, "line": n, "error": question_error(exc).problem.to_json()["error"]}
    except Busy as exc:  # this line met a full answer pool: "try again later", not a bug
        busy = ApiProblem(ErrorCode.UNAVAILABLE, exc.message, "The server is busy: send this line again in a minute.")
        return {"id": ident, "line": n, "error": {**busy.to_json()["error"], "retry_after": exc.retry_after}}
    except Exception:
        log.exception("API batch line %d failed", n)
        return {"id": ident, "line": n, "error": _internal().to_json()["error"]}
    if answer is None:
        return {"id": ident, "line": n, "error": _internal().to_json()["error"]}
    return {"id": ident, "line": n, "answer": answer_json(answer, conversation_id)}


BATCH_LINE_BYTES = 16 * 1024
"""Bytes a batch may carry per allowed line (a bigger body is refused before it is read whole)."""


async def read_capped(request: Request, *, max_bytes: int) -> bytes:
    """The request body, or 413 as soon as it is longer than ``max_bytes``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
    return bytes(body)


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(413, ErrorCode.TOO_LARGE, f"请求体太大（最多 {max_bytes // 1024} KB）。", f"The body is too large (at most {max_bytes // 1024} KB).")


def split_lines(body: bytes) -> list[str]:
    """The lines of a JSON Lines body (a final newline ends the last line; it starts none)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, ErrorCode.BAD_JSON, "请求体不是 UTF-8 文本。", "The body is not UTF-8 text.") from None
    if text.endswith("\n"):
        text = text[:-1]
    return [line.rstrip("\r") for line in text.split("\n")] if text else []


def api_router(asking: ApiAsking, limits: AskLimits, *, pool: AnswerPool, directory=None, batch_max: int = 100) -> APIRouter:
    """The ``/api/v1`` routes (staff routes: :mod:`bot.staff_api`); ``/ask`` answers in ``pool``."""
    from bot.panels import ServicesPanel

    router = APIRouter(prefix="/api/v1")
    records: Records = asking.asker.records
    bot = asking.asker.bot
    services = ServicesPanel(directory, asking.asker.settings)

    @router.post("/ask", tags=["ask"], summary="Ask one question (JSON, or Server-Sent Events with stream: true)")
    @limits.ask
    async def ask(request: Request, body: AskBody):
        question = body.to_question()
        try:
            if body.stream:
                conversation_id, answers = asking.answers(question)
                events = pool.iterate(lambda: after_first(answers, lambda all_: answer_events(all_, conversation_id)))  # Busy: 503 now
                first = await anext(events)  # input the bot cannot take is a 400, before any event is sent
                return StreamingResponse(with_first(first, events), media_type="text/event-stream",
                                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
            conversation_id, answer = await pool.call(asking.final, question)
        except QuestionError as exc:
            raise question_error(exc) from exc
        except (NoAnswer, StopAsyncIteration):
            answer = None
        if answer is None:
            raise ApiError(500, ErrorCode.INTERNAL, _internal().message_zh, _internal().message_en)
        return JSONResponse(answer_json(answer, conversation_id))

    @router.post("/ask/batch", tags=["ask"], summary="JSON Lines in, JSON Lines out (one output line per input line)",
                 openapi_extra={"requestBody": {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}, "required": True}})
    @limits.ask
    async def ask_batch(request: Request):
        lines = split_lines(await read_capped(request, max_bytes=batch_max * BATCH_LINE_BYTES))
        if len(lines) > batch_max:
            raise ApiError(413, ErrorCode.TOO_LARGE, f"一次最多 {batch_max} 行（收到 {len(lines)} 行）。",
                           f"At most {batch_max} lines per batch (got {len(lines)}).")
        return StreamingResponse(batch_outputs(lines, asking), media_type="application/x-ndjson")

    @router.get("/documents", tags=["documents"], summary="The catalog: every document, its status and dates")
    def documents(region: str | None = Query(None, max_length=20), status: str | None = Query(None, max_length=20)):
        indexed = _indexed_articles(bot)
        entries = [e for e in bot.catalog if (region is None or e.region == region) and (status is None or e.status == status)]
        return {"documents": [document_json(e, indexed.get(e.id, [])) | {"articles": len(indexed.get(e.id, []))} for e in entries]}

    @router.get("/documents/{doc_id}", tags=["documents"], summary="One document, with the articles indexed (and their text with ?text=true)")
    def document(doc_id: str, text: bool = False):
        entry = _entry(bot, doc_id)
        articles = _indexed_articles(bot).get(entry.id, [])
        data = document_json(entry, articles) | {"articles": articles}
        if text:
            texts = bot.retriever.article_texts()
            data["texts"] = [{"article": a, "text": texts[(entry.id, a)]} for a in articles]
        return data

    @router.get("/documents/{doc_id}/articles/{article}", tags=["documents"], summary="The text of one indexed article")
    def article(doc_id: str, article: str):
        entry = _entry(bot, doc_id)
        text = bot.retriever.article_texts().get((entry.id, article))
        if text is None:
            raise ApiError(404, ErrorCode.NOT_FOUND, f"《{entry.title}》里没有编入索引的「{article}」。",
                           f"No indexed article '{article}' in {entry.id}.")
        return {"doc_id": entry.id, "title": entry.title, "article": article, "text": text, "status": entry.status,
                "effective_from": _day(entry.effective_from), "source_url": entry.source_url}

    @router.get("/services", tags=["services"], summary="Service points of a city (or a province), optionally of one kind")
    def service_points(city: str | None = Query(None, max_length=20), province: str | None = Query(None, max_length=20),
                       kind: str | None = Query(None, max_length=40)):
        from corpus.services import KINDS

        if kind is not None and kind not in KINDS:
            raise ApiError(400, ErrorCode.INVALID, f"不认识的站点类型「{kind}」，可用：{'、'.join(KINDS)}。",
                           f"Unknown kind '{kind}'; one of: {', '.join(KINDS)}.")
        if city or province:
            place, points = services.points_for({"city": city, "province": province})
        else:
            place, points = None, list(services.directory())
        points = [p for p in points if kind is None or p.kind == kind]
        return {"place": place, "kinds": KINDS, "services": [p.to_json() for p in points]}

    @router.get("/feeds", tags=["feeds"], summary="The policy-change feeds (Atom and JSON Feed, served at /feeds)")
    def feeds():
        return {"atom": "/feeds/{province}/{job}.xml", "json": "/feeds/{province}/{job}.json", "jobs": list(JOB_PINYIN),
                "example": "/feeds/浙江/外卖.json?since=2025-01-01"}

    @router.get("/feeds/{province}/{job}", tags=["feeds"], summary="Redirect to the JSON Feed of a province or city and a job")
    def feed(request: Request, province: str, job: str):
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/feeds/{province}/{job}.json{query}", status_code=307)

    @router.post("/feedback", tags=["worker actions"], summary="有用 / 没用 on an answer (没用 puts the question in the staff queue)")
    @limits.action
    def feedback(request: Request, body: FeedbackBody):
        profile = api_profile(province=body.province, city=body.city, job=None)
        try:
            record_id = records.add_feedback(useful=body.useful, question=body.question, region=profile.region,
                                             outcome=body.outcome, reason=body.reason, conclusion=body.conclusion, doc_ids=body.doc_ids)
        except RecordError as exc:
            raise ApiError(422, ErrorCode.INVALID, exc.message, "The feedback cannot be stored as sent.") from exc
        return {"ok": True, "id": record_id}

    @router.post("/reports", tags=["worker actions"], status_code=201, summary="A problem report (诉求反映); returns its number")
    @limits.action
    def report(request: Request, body: ReportBody):
        try:
            made = records.add_report(what=body.what, platform=body.platform, city=body.city, contact=body.contact)
        except RecordError as exc:
            raise ApiError(422, ErrorCode.INVALID, exc.message, "The report cannot be stored as sent.") from exc
        return JSONResponse(report_status(made), status_code=201)

    @router.get("/reports/{number}", tags=["worker actions"], summary="Where a report stands (by its number)")
    @limits.action
    def report_lookup(request: Request, number: str):
        found = records.report(number)
        if found is None:
            raise ApiError(404, ErrorCode.NOT_FOUND, "没有找到这个编号，请核对后再查（编号像 LQ-7K3M-9QX2）。", "No report with this number.")
        return report_status(found)

    return router


def report_status(report) -> dict:
    """What the worker who has the number may see: never the text or the contact."""
    return {"number": report.number, "status": report.status, "created_at": report.created_at, "forwarded_to": report.forwarded_to,
            "outcome": report.outcome, "updated_at": report.updated_at}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _entry(bot, doc_id: str):
    entry = bot.catalog.get(doc_id)
    if entry is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, f"目录里没有文档「{doc_id}」。", f"No document '{doc_id}' in the catalog.")
    return entry


def _indexed_articles(bot) -> dict[str, list[str]]:
    """Document id → its indexed article labels, in index order."""
    found: dict[str, list[str]] = {}
    try:
        keys = bot.retriever.article_texts()
    except Exception:
        log.exception("the index's article list is unavailable")
        return found
    for doc_id, article in keys:
        found.setdefault(doc_id, []).append(article)
    return found


def document_json(entry, articles: list[str]) -> dict:
    today = date.today()
    return {
        "id": entry.id, "title": entry.title, "short_name": entry.short_name, "doc_no": entry.doc_no, "issuer": entry.issuer,
        "kind": entry.kind, "region": entry.region, "status": entry.status, "in_force_today": entry.in_force(today),
        "issued": _day(entry.issued), "effective_from": _day(entry.effective_from), "effective_to": _day(entry.effective_to),
        "supersedes": list(entry.supersedes), "superseded_by": list(entry.superseded_by), "source_url": entry.source_url,
        "has_text": entry.has_text, "indexed": bool(articles), "authority": entry.authority_label,
    }


__all__ = ["AskBody", "BatchLine", "api_router", "answer_events", "batch_outputs", "split_lines"]
