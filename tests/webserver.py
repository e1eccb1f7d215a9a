"""The web server for the API and browser tests: ``laoquan serve``'s app on a free loopback port,
in a thread, over the ``bot`` fixture's tiny index, with its own records and one staff account."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

STAFF_NAME, STAFF_PASSWORD = "zhanzhang", "測試-密码-2026"


@dataclass
class WebServer:
    url: str
    records: object
    settings: object
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(bot, settings, data_dir: Path, *, queue_max: int = 16) -> WebServer:
    import uvicorn

    from bot.feeds import FeedSource
    from bot.records import Records
    from bot.staff_accounts import StaffAccounts
    from bot.server import build_server

    settings = settings.replace(data_dir=data_dir, web_concurrency=2)
    settings = settings.replace(web_queue_max=queue_max)  # (0 is a real value here)
    settings = settings.replace(api_info=True)  # gradio_client reads /gradio_api/info (off by default: bot.web_security)
    records = Records(settings.paths.records_path)
    accounts = StaffAccounts(settings.paths.staff_path)
    accounts.add(STAFF_NAME, STAFF_PASSWORD)
    # The pages' 「新政策」 and /feeds read the committed catalog and change log (the tests' 5-document
    # catalog has no change history of its own); the bot answers from the small index.
    from common.settings import load_settings

    committed = load_settings()
    feeds = FeedSource(catalog_path=committed.paths.catalog, changes_path=committed.paths.changes, notes_dir=committed.paths.notes_dir)
    app = build_server(bot, settings=settings, records=records, accounts=accounts, feeds=feeds)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    return WebServer(f"http://127.0.0.1:{port}", records, settings, server, thread)
