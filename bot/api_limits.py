"""Rate limits per client on the API's ask endpoints, with slowapi.

One budget per client address (``settings.web.api_rate_limit``, e.g. ``"30/minute"``) shared by
``/api/v1/ask``, ``/api/v1/ask/batch`` and ``/v1/chat/completions``; an empty setting switches the
limiter off. Counts are kept in this process's memory. Beyond the budget: 429 with the API's error
shape and a ``Retry-After`` header.
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

from bot.api_errors import ApiProblem, ErrorCode, problem_response

ASK_SCOPE = "ask"
_UNUSED = "1000000/second"
"""The rate a disabled limiter is configured with (never checked)."""


class AskLimits:
    """The limiter of one server and the decorator its ask routes wear."""

    def __init__(self, rate: str):
        self.rate = (rate or "").strip()
        self.limiter = Limiter(key_func=get_remote_address, enabled=bool(self.rate), headers_enabled=False)

    def ask(self, route):
        """Decorate an ask route (it must take ``request: Request``) with the shared ask budget."""
        return self.limiter.shared_limit(self.rate or _UNUSED, scope=ASK_SCOPE)(route)

    def install(self, server: FastAPI) -> None:
        server.state.limiter = self.limiter

        @server.exception_handler(RateLimitExceeded)
        async def too_many(request: Request, exc: RateLimitExceeded):
            problem = ApiProblem(ErrorCode.RATE_LIMITED, f"提问太频繁了（每个客户端 {self.rate}），请稍后再试。",
                                 f"Too many questions from this client (limit {self.rate}); try again later.")
            return problem_response(request, 429, problem, {"Retry-After": "60"})


__all__ = ["AskLimits"]
