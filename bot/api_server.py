"""Puts the open API on ``laoquan serve``'s server (called by :func:`bot.server.build_server` before
the worker page is mounted at ``/``): the REST API (:mod:`bot.api`, :mod:`bot.staff_api`), the
OpenAI-compatible endpoint (:mod:`bot.openai_api`), ``/healthz``, ``/readyz`` and ``/metrics``
(:mod:`bot.metrics`), the error shape (:mod:`bot.api_errors`), the rate limits
(:mod:`bot.api_limits`) and the documentation: ``/api/docs`` (Swagger UI served from this machine,
no CDN) over ``/api/openapi.json``, which describes these routes only — not the pages or feeds.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from bot.api import api_router
from bot.api_answers import ApiAsking
from bot.api_errors import ApiError, ApiProblem, ErrorCode, install_error_handlers, is_api_path
from bot.api_limits import AskLimits
from bot.asking import Asker
from bot.metrics import Metrics, MeteredBot, health_router, index_generation
from bot.openai_api import openai_router
from bot.protocols import Bot
from bot.staff_api import staff_router
from bot.web_security import WebPolicy
from bot.workers import AnswerPool

DOCS_STATIC = "/api/docs-static"
DESCRIPTION = """劳权通 (laoquan) open API: cited answers from indexed official texts, no LLM.

Errors are `{"error": {"code", "message_zh", "message_en"}}` with a stable `code`.
Staff endpoints need `Authorization: Bearer <token>` (`laoquan staff token NAME`)."""


def _documented(path: str) -> bool:
    return path.startswith(("/api/v1", "/v1/")) or path in ("/healthz", "/readyz")


class JsonByDefault:
    """ASGI middleware: a POST to a JSON route of the API is read as JSON whatever its Content-Type
    says, so ``curl -d '{"question":"…"}'`` (which sends ``application/x-www-form-urlencoded``) and
    clients that send none work as they do with most JSON APIs — but only when no other site sent
    it. A browser posts a form, ``text/plain`` or no type to any site without asking first (no CORS
    preflight); so a POST to ``/api`` or ``/v1`` whose ``Origin`` is foreign (not this server, its
    public URL or an allowed origin; ``null`` included) and whose type is one of those is refused
    with 415 in the API's error shape. Clients that are not browsers send no ``Origin``."""

    PLAIN = (b"", b"application/x-www-form-urlencoded", b"text/plain")
    NO_PREFLIGHT = (*PLAIN, b"multipart/form-data")
    """The types a page of another site can post without a preflight."""

    def __init__(self, app, *, policy: WebPolicy | None = None):
        self.app = app
        self.policy = policy

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and is_api_path(scope["path"]):
            given = next((v for k, v in scope["headers"] if k == b"content-type"), b"").split(b";")[0].strip().lower()
            if given in self.NO_PREFLIGHT and self._foreign(scope):
                await _cross_site(scope["path"])(scope, receive, send)
                return
            if _reads_json(scope["path"]) and given in self.PLAIN:
                headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
                scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        await self.app(scope, receive, send)

    def _foreign(self, scope) -> bool:
        headers = {k: v.decode("latin-1") for k, v in scope["headers"] if k in (b"origin", b"host")}
        origin = headers.get(b"origin")
        if origin is None or self.policy is None:
            return False
        return not self.policy.same_site(origin, headers.get(b"host", ""))


CROSS_SITE_ZH = "别的网站发来的请求必须是 JSON（Content-Type: application/json），已拒绝。"


def _cross_site(path: str) -> JSONResponse:
    problem = ApiProblem(ErrorCode.UNSUPPORTED_TYPE, CROSS_SITE_ZH,
                         "A request from another site must be sent as application/json.")
    return JSONResponse(problem.to_json(openai=path.startswith("/v1/")), status_code=415)


def _reads_json(path: str) -> bool:
    return path.startswith(("/api/v1/", "/v1/")) and not path.startswith("/api/v1/ask/batch")


def mount_api(server: FastAPI, bot: Bot, *, pool: AnswerPool, settings, records, accounts, services=None) -> Bot:
    """Add the open API's routes to ``server`` (its ask routes answer in ``pool``, the page's workers);
    returns the bot every page should answer with (the same bot, metered for ``/metrics``)."""
    metrics = Metrics(generation=lambda: index_generation(bot))
    metered = MeteredBot(bot, metrics)
    limits = AskLimits(settings.web.api_rate_limit, action_rate=settings.web.api_action_rate_limit)
    asking = ApiAsking(Asker(metered, records, settings))
    install_error_handlers(server)
    server.add_middleware(JsonByDefault, policy=WebPolicy.from_settings(settings.web))
    limits.install(server)
    server.include_router(health_router(metered, metrics))
    server.include_router(api_router(asking, limits, pool=pool, directory=services, batch_max=settings.web.api_batch_max))
    server.include_router(staff_router(metered, records, accounts, settings))
    server.include_router(openai_router(asking, limits, pool=pool))
    _docs(server)

    @server.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @server.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(rest: str):  # the page at / would answer anything else with its own HTML
        raise ApiError(404, ErrorCode.NOT_FOUND, "没有这个地址。", "No such endpoint.")

    return metered


def _docs(server: FastAPI) -> None:
    import fastapi_offline

    static = Path(fastapi_offline.__file__).parent / "static"
    server.mount(DOCS_STATIC, StaticFiles(directory=static), name="api-docs-static")
    schema: dict = {}

    @server.get("/api/openapi.json", include_in_schema=False)
    def openapi():
        if not schema:
            full = get_openapi(title="劳权通 API", version="1", description=DESCRIPTION, routes=server.routes)
            full["paths"] = {path: ops for path, ops in full.get("paths", {}).items() if _documented(path)}
            schema.update(full)
        return schema

    @server.get("/api/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="劳权通 API", swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css", swagger_favicon_url=f"{DOCS_STATIC}/favicon.png")


__all__ = ["mount_api"]
