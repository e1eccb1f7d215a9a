"""Deployment-safe defaults for ``laoquan serve``, installed on the FastAPI server by one call
(:func:`install_web_security`, from :func:`bot.server.build_server`).

- **Hosts**: only the trusted host names are answered (``LAOQUAN_TRUSTED_HOSTS``; loopback, the
  ``host`` setting and the public URL's host always), so a rebinding DNS name cannot reach the pages;
  ``/healthz``, ``/readyz`` and ``/metrics`` answer any Host (probes use the server's IP), and a
  refused Host on ``/api`` or ``/v1`` gets the API's error shape (code ``bad_host``).
- **CORS** is off unless ``LAOQUAN_ALLOWED_ORIGINS`` names origins (then ``Content-Type`` and
  ``Authorization`` — a staff API token — may be sent), and never with credentials: no
  other site can read an answer with the staff login cookie. (Gradio's own CORS layer echoes any
  origin once the Host is not loopback; it stands aside when the server has Starlette's
  ``CORSMiddleware``, which this installs.)
- **Cookies** the server sets are ``HttpOnly; SameSite=Lax``, and ``Secure`` when served over HTTPS
  (an ``https://`` public URL, or ``X-Forwarded-Proto: https`` from a proxy on this machine).
- **Cross-site requests to the staff app** (``/staff``) that change something — the login form
  included — are refused by a strict check of ``Origin`` (else ``Referer``): it must be this
  server's own host, the public URL's, or an allowed origin. Browsers always send ``Origin`` on a
  cross-site POST (``null`` counts as foreign), so a form on another site can neither log a browser
  in (login CSRF) nor act with its session; clients that are not browsers send neither header and
  have no cookie to abuse. A token in the login form would need a fork of Gradio's login page;
  this check needs none.
- **Login throttling** (:mod:`bot.login_guard`): every try at ``/staff/login`` is recorded; too many
  wrong ones wait, in Chinese (429 with ``Retry-After``).
- **Uploads** are refused on both apps (neither page has an upload component).
- **Unknown API names** (``/gradio_api/run/nope``) are a 404, not a 500.
- **API description** (``/openapi.json``, ``/gradio_api/info``) of the worker app only when
  ``LAOQUAN_API_INFO`` is on.
- **Headers** on every response: a Content-Security-Policy the Gradio pages work under (their
  scripts and styles are inline, so those stay allowed; nothing loads from another site, no page
  may frame them), ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin``, a ``Permissions-Policy`` that keeps only geolocation (「附近」),
  and ``Strict-Transport-Security`` over HTTPS.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request

from bot.api_errors import ApiProblem, ErrorCode, is_api_path
from bot.login_guard import LoginGuard
from bot.records import Records, RecordsUnavailable

log = logging.getLogger(__name__)

STAFF_PREFIX = "/staff"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_INFO_PATHS = frozenset({"/openapi.json", "/gradio_api/openapi.json", "/gradio_api/info", "/docs", "/redoc"})
HEALTH_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Answered whatever the Host (a load balancer or orchestrator probes by IP); they reveal no worker's data."""
UPLOAD_PATHS = ("/gradio_api/upload", "/gradio_api/process_recording")
MAX_LOGIN_BODY = 64 * 1024

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",  # Gradio's page config and js_on_load handlers are inline
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "permissions-policy": "geolocation=(self), camera=(), microphone=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}
HSTS = "max-age=31536000"

WRONG_HOST = "不认识这个网址的主机名。请用站点公布的网址访问。"
CROSS_SITE = "这个请求来自别的网站，已拒绝。请直接打开本站的工作人员页面再操作。"
NO_UPLOADS = "这里不能上传文件。"
LOGIN_TOO_BIG = "登录信息太长了。"
UNKNOWN_API = "没有这个接口。"
API_TOO_BIG = "请求的内容太长了。"
API_NOT_JSON = "请求的格式不对（不是 JSON，或者嵌套太深）。"
BAD_INPUT = "输入的内容不对：类型不对，或者不是页面上给的选项。请在页面上重新选择或填写。"
MAX_API_BODY = 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")


def _names(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def host_name(host: str) -> str:
    """The name in a ``Host`` header or URL netloc, without port, lower case: 「[::1]:7860」 → 「::1」."""
    host = (host or "").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


@dataclass(frozen=True)
class WebPolicy:
    """What :class:`SecurityMiddleware` enforces, from the ``web`` settings."""

    trusted_hosts: frozenset[str] | None
    """Host names answered (``None``: any)."""
    allowed_origins: frozenset[str]
    public_host: str
    public_https: bool
    api_info: bool

    @classmethod
    def from_settings(cls, web) -> "WebPolicy":
        public = urlsplit(web.public_url or "")
        public_host = host_name(public.netloc)
        listed = {host_name(h) for h in _names(web.trusted_hosts)}
        hosts = None if "*" in listed else frozenset(
            LOOPBACK | listed | {h for h in (public_host, host_name(web.host)) if h and h not in ("0.0.0.0", "::")})
        origins = frozenset(o.rstrip("/").lower() for o in _names(web.allowed_origins))
        return cls(trusted_hosts=hosts, allowed_origins=origins, public_host=public_host,
                   public_https=public.scheme == "https", api_info=bool(web.api_info))

    def host_allowed(self, host: str) -> bool:
        return self.trusted_hosts is None or host_name(host) in self.trusted_hosts

    def same_site(self, source: str, host: str) -> bool:
        """Is ``source`` (an Origin, or a Referer URL) this server, its public URL or an allowed origin?"""
        parts = urlsplit((source or "").strip().lower())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # 「null」, file:, a sandboxed frame
        if f"{parts.scheme}://{parts.netloc}" in self.allowed_origins:
            return True
        name = host_name(parts.netloc)
        return name == host_name(host) or (bool(self.public_host) and name == self.public_host)


def _wrong_host(path: str):
    """The refusal of an unknown Host: in the API's error shape on ``/api`` and ``/v1``, else ``detail``."""
    from starlette.responses import JSONResponse

    if is_api_path(path):
        problem = ApiProblem(ErrorCode.BAD_HOST, WRONG_HOST, "Unknown host name: use the address the site publishes.")
        return JSONResponse(problem.to_json(openai=path.startswith("/v1/")), status_code=400)
    return _json(400, WRONG_HOST)


def _json(status: int, detail: str, headers: dict[str, str] | None = None):
    from starlette.responses import JSONResponse

    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


class SecurityMiddleware:
    """The ASGI layer that enforces a :class:`WebPolicy` (outermost on the server)."""

    def __init__(self, app, *, policy: WebPolicy, guard: LoginGuard):
        self.app = app
        self.policy = policy
        self.guard = guard

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if scope["type"] == "websocket":
            if not self.policy.host_allowed(host):
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        send = self._secured(send, https=self._https(scope, headers))
        path = scope.get("path", "")
        if not self.policy.host_allowed(host) and path not in HEALTH_PATHS:  # a probe by IP may check health: it reveals nothing
            await _wrong_host(path)(scope, receive, send)
            return
        method = scope.get("method", "GET").upper()
        staff = path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")
        sub_path = path[len(STAFF_PREFIX):] if staff else path
        if method not in SAFE_METHODS and sub_path.rstrip("/").endswith(UPLOAD_PATHS):
            await _json(403, NO_UPLOADS)(scope, receive, send)
            return
        if not staff and not self.policy.api_info and sub_path.rstrip("/") in API_INFO_PATHS:
            await _json(404, "Not Found")(scope, receive, send)
            return
        if staff and method not in SAFE_METHODS:
            source = headers.get("origin") or headers.get("referer")
            if source is not None and not self.policy.same_site(source, host):
                await _json(403, CROSS_SITE)(scope, receive, send)
                return
            if method == "POST" and sub_path.rstrip("/") == "/login":
                await self._login(scope, receive, send)
                return
        if method == "POST" and "/gradio_api/" in path and headers.get("content-type", "").startswith("application/json"):
            await self._api_call(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _https(self, scope, headers: dict[str, str]) -> bool:
        if scope.get("scheme") in ("https", "wss") or self.policy.public_https:
            return True
        client = (scope.get("client") or ("", 0))[0]
        forwarded = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return forwarded == "https" and client in LOOPBACK

    def _secured(self, send, *, https: bool):
        async def secured_send(message):
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {k.decode("latin-1").lower() for k, _ in raw}
                out = []
                for key, value in raw:
                    if key.decode("latin-1").lower() == "set-cookie":
                        value = secure_cookie(value.decode("latin-1"), https=https).encode("latin-1")
                    out.append((key, value))
                for key, value in SECURITY_HEADERS.items():
                    if key not in present:
                        out.append((key.encode(), value.encode()))
                if https and "strict-transport-security" not in present:
                    out.append((b"strict-transport-security", HSTS.encode()))
                message = {**message, "headers": out}
            await send(message)

        return secured_send

    async def _api_call(self, scope, receive, send):
        """A JSON call to a page's API: refused in Chinese when it is too long, not JSON or nested too
        deep (before Gradio's parser meets it); lone surrogates (which no response can encode) become
        U+FFFD; an input Gradio's components reject (a value not among a Radio's choices, a wrong
        type) is a 422 that says so in Chinese rather than a 500."""
        body = await _read_body(receive, limit=MAX_API_BODY)
        if body is None:
            await _json(413, API_TOO_BIG)(scope, receive, send)
            return
        try:
            data = _scrubbed(json.loads(body))
        except (ValueError, RecursionError):
            await _json(400, API_NOT_JSON)(scope, receive, send)
            return
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        scope = {**scope, "headers": headers + [(b"content-length", str(len(body)).encode())]}
        plain_call = "/gradio_api/run/" in scope["path"] or "/gradio_api/api/" in scope["path"]
        started = False

        async def watch(message):
            nonlocal started
            if message["type"] == "http.response.start" and message["status"] >= 500 and plain_call and not started:
                started = True
                response = _json(422, BAD_INPUT)
                await response(scope, _no_body, send)
                return
            if started:
                return  # the body of the replaced 500
            await send(message)

        if plain_call:
            await self.app(scope, _replay(body), watch)
        else:
            await self.app(scope, _replay(body), send)

    async def _login(self, scope, receive, send):
        """``POST /staff/login``: refused while the account or the address must wait; else Gradio's
        login runs and its outcome (200 = right password) is recorded."""
        body = await _read_body(receive, limit=MAX_LOGIN_BODY)
        if body is None:
            await _json(413, LOGIN_TOO_BIG)(scope, receive, send)
            return
        replay = lambda: _replay(body)  # noqa: E731

        try:
            form = await Request(scope, replay()).form()
            account = str(form.get("username") or "").strip()
        except Exception:  # not a form: Gradio answers it with its own 422
            account = ""
        client = (scope.get("client") or ("", 0))[0] or "?"
        try:  # the records are a database: read and written off the event loop, so no other request waits
            verdict = await run_in_threadpool(self.guard.check, account=account, client=client)
            if not verdict.allowed:
                await run_in_threadpool(self.guard.record, account=account, client=client, ok=False)
        except RecordsUnavailable as exc:  # the throttle cannot count: no login until it can, said in Chinese
            await _json(503, exc.message, {"Retry-After": "60"})(scope, receive, send)
            return
        if not verdict.allowed:
            await _json(429, verdict.message, {"Retry-After": str(verdict.wait_seconds)})(scope, receive, send)
            return
        status = 0

        async def watch(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, replay(), watch)
        if account and status in (200, 400):
            try:
                await run_in_threadpool(self.guard.record, account=account, client=client, ok=status == 200)
            except RecordsUnavailable as exc:  # the login itself went through; the try is not counted
                log.warning("login try not recorded: %s", exc.message)


async def _read_body(receive, *, limit: int) -> bytes | None:
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > limit:
            return None
    return body


def _replay(body: bytes):
    sent = False

    async def receive_again():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive_again


async def _no_body():
    return {"type": "http.disconnect"}


def _scrubbed(value):
    """``value`` (parsed JSON) with every lone surrogate in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if _SURROGATE.search(value) else value
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    return value


def secure_cookie(header: str, *, https: bool) -> str:
    """A ``Set-Cookie`` value with ``HttpOnly`` and ``SameSite=Lax`` (whatever it said), and ``Secure``
    when served over HTTPS."""
    parts = [p.strip() for p in header.split(";") if p.strip()]
    head, attributes = parts[0], [p for p in parts[1:] if p.split("=", 1)[0].strip().lower() not in ("samesite", "httponly")]
    attributes += ["HttpOnly", "SameSite=Lax"]
    if https and not any(p.lower() == "secure" for p in attributes):
        attributes.append("Secure")
    return "; ".join([head, *attributes])


def install_web_security(server, *, settings, records: Records) -> WebPolicy:
    """Install the policy of the ``web`` settings on ``server`` (a FastAPI app, before it starts)."""
    policy = WebPolicy.from_settings(settings.web)
    server.add_middleware(CORSMiddleware, allow_origins=sorted(policy.allowed_origins), allow_credentials=False,
                          allow_methods=["GET", "POST"], allow_headers=["content-type", "authorization"])  # authorization: staff API tokens
    guard = LoginGuard(records, max_failures=settings.web.login_max_failures, wait_seconds=settings.web.login_wait_seconds)
    server.add_middleware(SecurityMiddleware, policy=policy, guard=guard)
    _unknown_api_names_are_404(server)
    return policy


def _unknown_api_names_are_404(server) -> None:
    """A call to an ``api_name`` the page does not have (``/gradio_api/run/nope``) is a 404 in Chinese,
    not Gradio's 500 (on every Gradio app mounted so far)."""
    from starlette.routing import Mount

    from gradio.route_utils import FnIndexInferError

    async def unknown(request, exc):
        return _json(404, UNKNOWN_API)

    for route in server.routes:
        app = getattr(route, "app", None) if isinstance(route, Mount) else None
        if app is not None and hasattr(app, "get_blocks"):
            app.add_exception_handler(FnIndexInferError, unknown)
            app.add_exception_handler(KeyError, unknown)  # ``/gradio_api/queue/join`` with an ``fn_index`` it does not have


__all__ = ["CSP", "SecurityMiddleware", "WebPolicy", "install_web_security", "secure_cookie", "host_name"]
