"""How the pages reach a phone on a slow network: cache headers on Gradio's build files, and the
Gradio page's HTML told what it is — ``lang="zh-CN"``, a real title and preview tags (what a link
shared in WeChat shows), a ``<noscript>`` that points to ``/lite``, and a small inline script that
offers ``/lite`` on a slow connection.

:class:`PageDelivery` is a plain ASGI middleware (it never buffers a streamed response: only an
HTML page with Gradio's ``<gradio-app>`` element is rewritten). Compression is Starlette's
``GZipMiddleware``, added by :mod:`bot.server` outside this one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.render import esc

HASHED_ASSET = re.compile(r"/assets/[^/]+-[A-Za-z0-9_-]{8}\.[a-z0-9]+$")
"""Gradio's build files (``/assets/index-DphvyggB.js``): the name changes with the content."""
STATIC_FILE = re.compile(r"/(?:static|assets)/")
IMMUTABLE = "public, max-age=31536000, immutable"
STATIC_CACHE = "public, max-age=86400"
SLOW_CONNECTIONS = ("slow-2g", "2g", "3g")


@dataclass(frozen=True)
class PageHead:
    """The title and preview text of one page."""

    title: str
    description: str


WORKER_HEAD = PageHead("劳权通 · 问政策", "外卖、快递、网约车、货运、主播的劳动权益问答：只按法规原文回答，条条有出处。不用注册。")
STAFF_HEAD = PageHead("劳权通 · 工作人员", "劳权通站点工作人员页面：看回答和依据、处理待审核问题和工人的诉求。")


def head_for(path: str) -> PageHead:
    return STAFF_HEAD if path.rstrip("/").startswith("/staff") else WORKER_HEAD


def cache_control_for(path: str) -> str | None:
    """The Cache-Control a build file gets (None: not a build file; leave the response alone)."""
    if HASHED_ASSET.search(path):
        return IMMUTABLE
    if STATIC_FILE.search(path):
        return STATIC_CACHE
    return None


_PREVIEW_META = re.compile(r'<meta\s+(?:property="og:[^"]*"|name="twitter:[^"]*")\s+content="[^"]*"\s*/?>', re.S)
_TITLE = re.compile(r"<title>.*?</title>", re.S)
_LANG = re.compile(r'<html(\s[^>]*?)?\slang="[^"]*"', re.S)
_BODY = re.compile(r"<body\b[^>]*>", re.S)


def slow_connection_script() -> str:
    """Shows a link to ``/lite`` at the top of the page when the browser says the connection is slow
    (``navigator.connection.effectiveType`` 2g/3g, or data saving on). Browsers without the API
    (Safari) never see it; the ``<noscript>`` covers a browser without JavaScript."""
    slow = ",".join(f"'{s}'" for s in SLOW_CONNECTIONS)
    return ("<script>(function(){var c=navigator.connection;if(!c||!(c.saveData||[" + slow + "].indexOf(c.effectiveType)>=0))return;"
            "function show(){if(document.getElementById('lq-slow'))return;var p=document.createElement('p');p.id='lq-slow';"
            "p.setAttribute('style','margin:0;padding:12px 14px;background:#fff4d6;color:#5c4000;font:16px/1.5 system-ui,sans-serif');"
            "p.innerHTML='网速较慢？<a href=\"/lite\" style=\"color:#0b6b4f;font-weight:700;display:inline-block;min-height:44px;line-height:44px\">打开简洁版（更快）</a>';"
            "document.body.insertBefore(p,document.body.firstChild);}"
            "if(document.body)show();else document.addEventListener('DOMContentLoaded',show);})();</script>")


NOSCRIPT = ('<noscript><div style="padding:16px;font:18px/1.6 system-ui,sans-serif;color:#13251d">'
            '<p>这个页面需要打开 JavaScript。也可以用<a href="/lite" style="color:#0b6b4f;font-weight:700">简洁版</a>：'
            '不用 JavaScript，网速慢也能用，一样按法规原文回答。</p>'
            '<p>急事请拨 <a href="tel:12333" style="color:#0b6b4f">12333</a>。</p></div></noscript>')


def rewrite_page(html: str, head: PageHead, *, worker: bool) -> str:
    """Gradio's page with our language, title and preview tags (Gradio's own 「Gradio · Click to try
    out the app!」 tags dropped) and, on the worker page, the way to ``/lite``."""
    html = _LANG.sub(lambda m: f'<html{m.group(1) or ""} lang="zh-CN"', html, count=1)
    html = _PREVIEW_META.sub("", html)
    html = _TITLE.sub("", html)
    tags = (f"<title>{esc(head.title)}</title><meta name=\"description\" content=\"{esc(head.description)}\">"
            f'<meta property="og:title" content="{esc(head.title)}"><meta property="og:description" content="{esc(head.description)}">'
            '<meta property="og:type" content="website">')
    html = html.replace("<head>", "<head>" + tags + (slow_connection_script() if worker else ""), 1)
    if worker:
        html = _BODY.sub(lambda m: m.group(0) + NOSCRIPT, html, count=1)
    return html


class PageDelivery:
    """ASGI middleware: Cache-Control on build files; Gradio's HTML page rewritten (:func:`rewrite_page`)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        cache = cache_control_for(path)
        start: dict | None = None
        chunks: list[bytes] = []
        rewriting = False

        async def sending(message):
            nonlocal start, rewriting
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                names = {k.lower() for k, _ in headers}
                status = message.get("status", 200)
                if cache and status == 200 and b"cache-control" not in names:
                    headers.append((b"cache-control", cache.encode()))
                content_type = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
                rewriting = status == 200 and content_type.startswith(b"text/html") and b"content-encoding" not in names and scope.get("method") == "GET"
                message = {**message, "headers": headers}
                if rewriting:
                    start = message
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and rewriting:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                text = body.decode("utf-8", errors="replace")
                if "<gradio-app" in text:
                    body = rewrite_page(text, head_for(path), worker=not path.startswith("/staff")).encode("utf-8")
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, sending)




def redirect_router():
    """``/staff`` (no slash) → ``/staff/``: the staff app is mounted under the slash, and without this
    the worker app at ``/`` answers a bare ``/staff`` with a raw JSON 404."""
    from fastapi import APIRouter
    from fastapi.responses import RedirectResponse

    router = APIRouter()

    @router.get("/staff", include_in_schema=False)
    def staff_without_slash():
        return RedirectResponse("/staff/", status_code=307)

    return router


__all__ = ["PageDelivery", "PageHead", "rewrite_page", "cache_control_for", "head_for", "redirect_router", "WORKER_HEAD", "STAFF_HEAD"]
