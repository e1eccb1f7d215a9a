"""A loopback stand-in for an OpenAI-compatible chat service (DeepSeek, vLLM, Ollama, llama.cpp server).

It speaks ``POST /v1/chat/completions`` — a JSON reply, or with ``"stream": true`` server-sent
events (``chat.completion.chunk`` objects, an optional usage chunk, ``data: [DONE]``) — on
127.0.0.1 at a random port, records every request (headers with lower-case names, and body) for the test to inspect,
and answers with whatever ``reply(body)`` returns. :func:`echo_answer` writes an answer in the
project's format from the passages in the request, quoting them verbatim, so it passes the
faithfulness check whatever the retriever found.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def echo_answer(body: dict) -> str:
    """A faithful answer built from the request's passages: a conclusion and points that quote
    clauses of the passages in 「」 with their [n]."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    passages = re.findall(r'<资料 编号="(\d+)"[^\n]*\n(.*?)\n</资料>', user, flags=re.S)
    clauses = []
    for n, text in passages:
        for clause in re.split(r"[，。；：\n]", text):
            clause = clause.strip()
            if 6 <= len(clause) <= 30 and "＜" not in clause:
                clauses.append((n, clause))
    if not clauses:
        return "结论：资料里没有直接的答案。"
    n0, first = clauses[0]
    lines = [f"结论：资料[{n0}]写明「{first[:20]}」[{n0}]。", "要点："]
    lines += [f"{i}. 原文是「{clause}」[{n}]。" for i, (n, clause) in enumerate(clauses[1:5] or clauses[:1], start=1)]
    if len(lines) < 4:
        lines.append(f"{len(lines) - 1}. 原文是「{first}」[{n0}]。")
    return "\n".join(lines)


class OpenAIStub:
    """``with OpenAIStub(reply=...) as stub:`` → ``stub.base_url`` is ``http://127.0.0.1:PORT/v1``."""

    def __init__(self, *, reply: Callable[[dict], str] = echo_answer, status: int = 200, delay: float = 0.0, chunk_chars: int = 4):
        self.reply = reply
        self.status = status
        self.delay = delay
        """Seconds to wait before answering (and between stream chunks): for timeout tests."""
        self.chunk_chars = chunk_chars
        self.requests: list[dict] = []
        """Each request as ``{"path", "headers", "body"}``."""
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> OpenAIStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            def _answer(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw.decode("utf-8"))
                stub.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                if stub.status != 200:
                    return self._json(stub.status, {"error": {"message": "stub failure", "type": "server_error"}})
                time.sleep(stub.delay)
                text = stub.reply(body)
                if body.get("stream"):
                    return self._stream(body, text)
                return self._json(200, {
                    "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()), "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                })

            def _json(self, status: int, obj: dict) -> None:
                data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()), "model": body.get("model")}

                def send(obj) -> None:
                    payload = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
                    self.wfile.write(f"data: {payload}\n\n".encode("utf-8"))
                    self.wfile.flush()

                send({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
                for i in range(0, len(text), stub.chunk_chars):
                    if i:
                        time.sleep(stub.delay)
                    send({**base, "choices": [{"index": 0, "delta": {"content": text[i:i + stub.chunk_chars]}, "finish_reason": None}]})
                send({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                if (body.get("stream_options") or {}).get("include_usage"):
                    send({**base, "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
                send("[DONE]")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="openai-stub", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
