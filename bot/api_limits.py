"""Rate limits per client on the API's endpoints, with slowapi.

Two budgets per client address, each in slowapi's notation (``"30/minute"``); an empty setting
switches that budget off:

- ``settings.web.api_rate_limit``, shared by the ask endpoints ``/api/v1/ask``,
  ``/api/v1/ask/batch`` and ``/v1/chat/completions``;
- ``settings.web.api_action_rate_limit``, shared by the worker actions that write records or look
  one up: ``POST /api/v1/feedback``, ``POST /api/v1/reports`` and ``GET /api/v1/reports/{number}``.

Counts are kept in this process's memory. Beyond a budget: 429 with the API's error shape and a
``Retry-After`` header.
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

from bot.api_errors import ApiProblem, ErrorCode, problem_response

ASK_SCOPE = "ask"
ACTION_SCOPE = "actions"
ASK_PATHS = ("/api/v1/ask", "/v1/")


class AskLimits:
    """The limiter of one server and the decorators its routes wear (a route must take ``request: Request``)."""

    def __init__(self, rate: str, *, action_rate: str = ""):
        self.rate = (rate or "").strip()
        self.action_rate = (action_rate or "").strip()
        self.limiter = Limiter(key_func=get_remote_address, enabled=bool(self.rate or self.action_rate), headers_enabled=False)

    def ask(self, route):
        """Decorate an ask route with the shared ask budget (unchanged when there is none)."""
        return self.limiter.shared_limit(self.rate, scope=ASK_SCOPE)(route) if self.rate else route

    def action(self, route):
        """Decorate a worker-action route (feedback, reports) with their shared budget (unchanged when there is none)."""
        return self.limiter.shared_limit(self.action_rate, scope=ACTION_SCOPE)(route) if self.action_rate else route

    def install(self, server: FastAPI) -> None:
        server.state.limiter = self.limiter

        @server.exception_handler(RateLimitExceeded)
        async def too_many(request: Request, exc: RateLimitExceeded):
            if request.url.path.startswith(ASK_PATHS):
                problem = ApiProblem(ErrorCode.RATE_LIMITED, f"提问太频繁了（每个客户端 {self.rate}），请稍后再试。",
                                     f"Too many questions from this client (limit {self.rate}); try again later.")
            else:
                problem = ApiProblem(ErrorCode.RATE_LIMITED, f"提交太频繁了（每个客户端 {self.action_rate}），请过一会儿再提交。",
                                     f"Too many submissions from this client (limit {self.action_rate}); try again later.")
            return problem_response(request, 429, problem, {"Retry-After": "60"})


__all__ = ["AskLimits"]
