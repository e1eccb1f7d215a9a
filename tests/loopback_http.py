"""A throwaway HTTP server on 127.0.0.1 for tests that play a publisher or a webhook receiver."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_on_loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port in a thread; yields its base URL, then stops it.
    Use as the body of a fixture: ``yield from serve_on_loopback(MyHandler)``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def without_proxies(monkeypatch) -> None:
    """No proxy variable reaches the HTTP clients: loopback is asked directly."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
