"""``laoquan serve``: one FastAPI server with the policy feeds (``/feeds``), the staff page (``/staff``,
behind a login) and the worker page (``/``).

Two separate Gradio apps, so that nothing the worker page exposes — its page, its API, its files —
can reach staff data. The bot (model, index) is loaded once per process and shared by every
request; Gradio's queue runs ``settings.web.concurrency`` answers at once and lets at most
``settings.web.queue_max`` wait (beyond that a worker is told, in Chinese, that the server is busy).
"""
from __future__ import annotations

import common.settings  # noqa: F401  (analytics off before gradio is imported)
import gradio as gr  # noqa: E402
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.middleware.gzip import GZipMiddleware

from bot.api_server import mount_api
from bot.delivery import PageDelivery, redirect_router
from bot.feeds import FeedSource, feed_router
from bot.lite import lite_router
from bot.protocols import Bot
from bot.records import Records
from bot.render import CSS
from bot.staff import build_staff_app
from bot.staff_accounts import StaffAccounts
from bot.staff_files import StaffFiles
from bot.web_security import install_web_security
from bot.web import build_worker_app
from bot.workers import BUSY, PooledBot, pool_for
from common.settings import Settings


def build_server(bot: Bot, *, settings: Settings, records: Records | None = None, accounts=None, feeds=None, services=None):
    """The FastAPI app: the policy feeds at ``/feeds``, the staff app at ``/staff`` (login required),
    the worker app at ``/``. ``feeds`` (a :class:`bot.feeds.FeedSource`) and ``services`` (a callable
    giving the service directory) default to the settings' files."""
    records = records or Records.for_settings(settings)
    pool = pool_for(bot, settings)  # every answer of this process is computed by the answer workers (bot.workers)
    bot = PooledBot(pool)
    accounts = accounts or StaffAccounts(settings.paths.staff_path)
    theme = gr.themes.Default(primary_hue="emerald", font=["system-ui", "PingFang SC", "Noto Sans CJK SC", "sans-serif"], font_mono=["monospace"])
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    server.state.answer_pool = pool  # the REST API asks through the same workers
    server.middleware("http")(_busy_in_chinese)
    feeds = feeds or FeedSource.for_settings(settings)
    server.include_router(feed_router(source=feeds, public_url=settings.web.public_url))  # 政策直达: /feeds/{省}/{职业}.xml|.json (before the page at /)
    bot = mount_api(server, bot, pool=pool, settings=settings, records=records, accounts=accounts, services=services)  # /api/v1, /v1, /healthz, /metrics (the pages answer with the metered bot)
    page_options = dict(theme=theme, css=CSS, footer_links=[], run_history=False, ssr_mode=False, mcp_server=False, show_error=False,
                  head='<meta name="viewport" content="width=device-width, initial-scale=1">')
    staff_files = StaffFiles()  # the staff app's downloads: served by it alone, never by the worker app
    server.router.on_shutdown.append(staff_files.close)
    staff = build_staff_app(bot, records, settings, accounts, files=staff_files)
    staff.queue(default_concurrency_limit=settings.web.concurrency, max_size=settings.web.queue_max)
    staff_css = CSS + ".gradio-container { max-width: 980px !important; }"  # staff sit at a desk as often as not
    gr.mount_gradio_app(server, staff, path="/staff", auth=accounts.verify, auth_message="劳权通 · 工作人员登录", **{**page_options, "css": staff_css},
                        allowed_paths=[str(staff_files.path)])
    server.include_router(lite_router(bot, records, settings))  # /lite: the page without JavaScript (before the page at /)
    server.include_router(redirect_router())  # /staff → /staff/
    server.add_middleware(PageDelivery)  # title, lang, preview tags, <noscript>; Cache-Control on build files
    server.add_middleware(GZipMiddleware, minimum_size=1000)  # outermost: compresses what PageDelivery wrote
    worker = build_worker_app(bot, records, settings, feeds=feeds, services=services)
    worker.queue(default_concurrency_limit=settings.web.concurrency, max_size=settings.web.queue_max)
    gr.mount_gradio_app(server, worker, path="/", **page_options, blocked_paths=[str(staff_files.path)])
    install_web_security(server, settings=settings, records=records)  # hosts, CORS, cookies, CSRF, login throttle, headers
    return server


async def _busy_in_chinese(request, call_next):
    """A full queue, said in plain Chinese. Gradio answers it with a 503, and its page then shows a
    fixed English sentence; the page shows the server's own words only for a 422. So a browser gets
    a 422 whose ``detail`` is the Chinese sentence; API clients (which parse a 422 as a validation
    error) get the 503 with the same sentence."""
    response = await call_next(request)
    if response.status_code == 503 and request.url.path.endswith("/queue/join"):
        browser = "Mozilla" in request.headers.get("user-agent", "")
        return JSONResponse({"detail": BUSY}, status_code=422 if browser else 503, headers={"Retry-After": "60"})
    return response


def serve(bot: Bot, *, settings: Settings, host: str, port: int, records: Records | None = None) -> None:
    import uvicorn

    uvicorn.run(build_server(bot, settings=settings, records=records), host=host, port=port, log_level="warning")
