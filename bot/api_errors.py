"""The open API's errors: one JSON shape with a stable code, in Chinese and English.

Every error of ``/api/…`` and ``/v1/…`` — ours, FastAPI's validation errors (422, reshaped), an
unknown path, a rate limit — is ``{"error": {"code": "...", "message_zh": "...", "message_en": "..."}}``
(the OpenAI-compatible paths add ``message`` and ``type``, which OpenAI clients read). Other paths
(the pages, the feeds) keep their own behaviour.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.records_db import RecordsFull, RecordsUnavailable
from bot.workers import Busy

API_PREFIXES = ("/api/", "/v1/")
"""The paths whose errors take this module's shape."""


class ErrorCode(StrEnum):
    """The stable codes a client may branch on (a question the bot cannot take adds the codes of
    :class:`bot.guards.QuestionError`: ``empty``, ``too_long``, ``no_text`` …)."""

    INVALID = "invalid_request"
    BAD_JSON = "bad_json"
    NOT_FOUND = "not_found"
    METHOD = "method_not_allowed"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_media_type"
    BAD_HOST = "bad_host"
    RATE_LIMITED = "rate_limited"
    UNAUTHORIZED = "unauthorized"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal_error"
    NO_QUESTION = "no_question"


@dataclass(frozen=True)
class ApiProblem:
    code: str
    message_zh: str
    message_en: str

    def to_json(self, *, openai: bool = False) -> dict:
        body = {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}
        if openai:
            body |= {"message": f"{self.message_en} / {self.message_zh}", "type": "invalid_request_error" if self.code != ErrorCode.INTERNAL else "server_error"}
        return {"error": body}


class ApiError(Exception):
    """Raised by an API route; answered as :class:`ApiProblem` JSON with ``status``."""

    def __init__(self, status: int, code: str, message_zh: str, message_en: str, *, headers: dict | None = None):
        super().__init__(message_en)
        self.status = status
        self.problem = ApiProblem(str(code), message_zh, message_en)
        self.headers = headers


def problem_response(request: Request, status: int, problem: ApiProblem, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(problem.to_json(openai=request.url.path.startswith("/v1/")), status_code=status, headers=headers)


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


_HTTP_PROBLEMS = {
    404: ApiProblem(ErrorCode.NOT_FOUND, "没有这个地址。", "No such endpoint."),
    405: ApiProblem(ErrorCode.METHOD, "这个地址不支持这种请求方法。", "Method not allowed on this endpoint."),
}


def _field(loc) -> str:
    return ".".join(str(part) for part in loc if part not in ("body", "query", "path")) or "body"


def validation_problem(errors: list[dict]) -> ApiProblem:
    """FastAPI's list of validation errors as one problem naming the first field at fault."""
    first = errors[0] if errors else {}
    where = _field(first.get("loc", ()))
    if first.get("type") == "json_invalid":
        return ApiProblem(ErrorCode.BAD_JSON, "请求体不是有效的 JSON。", "The request body is not valid JSON.")
    detail = first.get("msg", "invalid value")
    return ApiProblem(ErrorCode.INVALID, f"请求参数「{where}」不对：{_zh(first)}", f"Invalid field '{where}': {detail}")


def _zh(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "必填，缺少了。"
    if kind in ("string_too_long", "too_long"):
        return f"太长了（最多 {ctx.get('max_length', '?')}）。"
    if kind in ("string_too_short", "too_short"):
        return f"太短了（至少 {ctx.get('min_length', '?')}）。"
    if kind.startswith("date"):
        return "日期格式应为 YYYY-MM-DD。"
    if kind in ("extra_forbidden",):
        return "不认识这个字段。"
    return "类型或取值不对。"


def install_error_handlers(server: FastAPI) -> None:
    """The API's error shape on ``server`` (only for :data:`API_PREFIXES`; elsewhere FastAPI's own)."""

    @server.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return problem_response(request, exc.status, exc.problem, exc.headers)

    @server.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        if not is_api_path(request.url.path):
            return await request_validation_exception_handler(request, exc)
        return problem_response(request, 422, validation_problem(list(exc.errors())))

    @server.exception_handler(RecordsUnavailable)
    async def records_unavailable(request: Request, exc: RecordsUnavailable):
        """A full disk or a broken records database: the answer endpoints do not store, so only the
        worker actions and staff views meet it; the message says what happened, in Chinese."""
        full = isinstance(exc, RecordsFull)
        problem = ApiProblem(ErrorCode.UNAVAILABLE, exc.message,
                             "No storage space left: the record could not be saved." if full else "The records database cannot be used right now.")
        return problem_response(request, 503, problem, {"Retry-After": "300"})

    @server.exception_handler(Busy)
    async def busy(request: Request, exc: Busy):
        """Every answer worker busy and the waiting places full: a 503 at once, with when to try again."""
        problem = ApiProblem(ErrorCode.UNAVAILABLE, exc.message, "The server is busy: please ask again in a minute.")
        return problem_response(request, 503, problem, {"Retry-After": str(exc.retry_after)})

    @server.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if not is_api_path(request.url.path):
            return await http_exception_handler(request, exc)
        problem = _HTTP_PROBLEMS.get(exc.status_code) or ApiProblem(ErrorCode.INVALID, "请求有误。", str(exc.detail))
        return problem_response(request, exc.status_code, problem, getattr(exc, "headers", None))


__all__ = ["API_PREFIXES", "ApiError", "ApiProblem", "ErrorCode", "install_error_handlers", "is_api_path", "problem_response", "validation_problem"]
