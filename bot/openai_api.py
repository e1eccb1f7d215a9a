"""An OpenAI-compatible chat endpoint, so ChatGPT-style front ends and bot frameworks plug in by
changing a base URL: ``POST /v1/chat/completions`` (streaming and not) and ``GET /v1/models``.

The last user message is the question; the earlier user messages are the conversation's history
(system and assistant messages are ignored: the bot answers only from its texts). The reply's
``content`` is the answer text with its ``[n]`` markers. The citations are never lost, in either
mode: the completion carries ``citations`` (the same objects as ``laoquan ask --json``) and
``laoquan`` (outcome, reason, conclusion, points, 行动清单, triage, referrals, region, as-of date);
when streaming, the *final* chunk (the one whose ``finish_reason`` is ``"stop"``) carries both.
With the ``openai`` Python client they are ``completion.citations`` / ``chunk.citations``
(pydantic extras). Extra request fields ``province``, ``city``, ``job`` and ``as_of`` (the client's
``extra_body``) set the worker's region, job and date.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterator
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.api import MAX_FIELD, api_profile, question_error
from bot.api_answers import MAX_HISTORY, ApiAsking, NoAnswer, Question, after_first, with_first
from bot.api_errors import ApiError, ErrorCode
from bot.api_limits import AskLimits
from bot.guards import QuestionError
from bot.results import Answer
from bot.workers import AnswerPool

log = logging.getLogger(__name__)

MODEL_ID = "laoquan"
MAX_MESSAGES = 64


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str = Field(max_length=20)
    content: str | list | None = None


class ChatRequest(BaseModel):
    """OpenAI's request; unknown fields (temperature, max_tokens …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(MODEL_ID, max_length=100)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    province: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=20)
    job: str | None = Field(None, max_length=20)
    as_of: date | None = None


def message_text(content) -> str:
    """A message's text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") in (None, "text"))
    return ""


def question_of(body: ChatRequest) -> Question:
    users = [message_text(m.content) for m in body.messages if m.role == "user"]
    if not users:
        raise ApiError(400, ErrorCode.NO_QUESTION, "没有用户消息（role 为 user）：请把问题放在最后一条 user 消息里。",
                       "No user message: put the question in the last message with role 'user'.")
    if any(len(text) > MAX_FIELD for text in users):
        raise ApiError(422, ErrorCode.INVALID, "有一条消息太长了。", "A message is too long.")
    profile = api_profile(province=body.province, city=body.city, job=body.job)
    return Question(text=users[-1], region=profile.region, job=profile.job, as_of=body.as_of,
                    history=tuple(users[:-1][-MAX_HISTORY:]), remember=False)


def extras(answer: Answer) -> dict:
    """What rides along with the text: the citations and the answer's structure."""
    data = answer.to_json()
    keep = ("outcome", "reason", "conclusion", "points", "actions", "triage", "guide", "referrals", "region", "as_of", "asked", "vetted")
    return {"citations": data["citations"], "laoquan": {k: data[k] for k in keep}}


def content_of(answer: Answer) -> str:
    """The message text: the answer with its ``[n]`` markers, after the 站点已审核 line when a staffer vetted it."""
    text = answer.answer or ""
    if answer.vetted is not None:
        return f"✓ {answer.vetted.mark}（{answer.vetted.at[:10]}）\n\n{text}"
    return text


def completion(answer: Answer, *, completion_id: str, created: int, model: str) -> dict:
    return {
        "id": completion_id, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content_of(answer)}, "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **extras(answer),
    }


def _chunk(completion_id: str, created: int, model: str, delta: dict, finish: str | None = None, **more) -> str:
    data = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **more}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def completion_chunks(answers: Iterator[Answer], *, completion_id: str, created: int, model: str) -> Iterator[str]:
    """The answer as OpenAI stream chunks: the conclusion as soon as the bot has it, the rest of the
    text when the answer is complete, then a final chunk with ``finish_reason`` and the citations."""
    sent = ""
    answer = None
    yield _chunk(completion_id, created, model, {"role": "assistant", "content": ""})
    try:
        for answer in answers:
            text = content_of(answer)
            if text.startswith(sent) and len(text) > len(sent):
                piece, sent = text[len(sent):], text
                yield _chunk(completion_id, created, model, {"content": piece})
    except Exception as exc:  # the status is already sent: say it in the stream, in the API's shape
        if not isinstance(exc, QuestionError):
            log.exception("OpenAI-compatible answer failed")
        problem = question_error(exc).problem if isinstance(exc, QuestionError) else None
        error = problem.to_json(openai=True) if problem else {"error": {"code": ErrorCode.INTERNAL, "message": "internal error", "type": "server_error"}}
        yield f"data: {json.dumps(error, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"
        return
    if answer is not None and content_of(answer) != sent:  # the final text does not continue what was sent
        yield _chunk(completion_id, created, model, {"content": "\n\n" + content_of(answer)})
    yield _chunk(completion_id, created, model, {}, "stop", **(extras(answer) if answer is not None else {"citations": []}))
    yield "data: [DONE]\n\n"


def openai_router(asking: ApiAsking, limits: AskLimits, *, pool: AnswerPool) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

    @router.get("/models", summary="The one model: laoquan")
    def models():
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "laoquan"}]}

    @router.post("/chat/completions", summary="Chat completion (stream or not); citations in `citations` (final chunk when streaming)")
    @limits.ask
    async def chat_completions(request: Request, body: ChatRequest):
        question = question_of(body)
        completion_id, created, model = "chatcmpl-" + secrets.token_hex(12), int(time.time()), body.model or MODEL_ID
        try:
            if body.stream:  # answered by the answer pool (bot.workers), as /api/v1/ask: Busy is a 503 at once
                _, answers = asking.answers(question)
                chunks = pool.iterate(lambda: after_first(answers, lambda all_: completion_chunks(all_, completion_id=completion_id,
                                                                                                  created=created, model=model)))
                first = await anext(chunks)  # input the bot cannot take is a 400, before the stream starts
                return StreamingResponse(with_first(first, chunks), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
            _, answer = await pool.call(asking.final, question)
        except QuestionError as exc:
            raise question_error(exc) from exc
        except (NoAnswer, StopAsyncIteration):
            answer = None
        if answer is None:
            raise ApiError(500, ErrorCode.INTERNAL, "服务出了点问题，请稍后再试。", "The server failed to answer.")
        return JSONResponse(completion(answer, completion_id=completion_id, created=created, model=model))

    return router


__all__ = ["MODEL_ID", "completion", "completion_chunks", "openai_router", "question_of"]
