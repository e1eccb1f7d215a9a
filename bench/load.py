"""Benchmark: many users at once against ``laoquan serve``. Starts the web UI on 127.0.0.1 at a free
port as a subprocess, lets simulated users (one thread each) ask questions drawn from the gold set,
then stops the server. Prints a table and appends a JSON line to ``bench/results.jsonl``.

    .venv/bin/python -m bench.load [--users 10 50 200] [--questions 4] [--max-seconds 300] [--processes 1 4]
                                   [--transport gradio rest lite]

``--transport`` is the way in each user takes (one run per transport): ``gradio`` — the worker page,
one ``gradio_client.Client`` each (the page's queue and events); ``rest`` — ``POST /api/v1/ask``
with JSON, one ``httpx.Client`` each (the API's rate limit is switched off for the server of a
``rest`` run: all users come from one address); ``lite`` — ``GET /lite?q=…``, the page without
JavaScript, one ``httpx.Client`` each.

Each number of users is one round against the same server (started once), one JSON line each.
Latency is what a client sees for one ``/ask`` call (queueing included; connecting a
client is not counted). A call ends in one of four ways: answered (a question the guards refuse is
an answer); *busy* — turned away, the server saying 「服务器忙」 (HTTP 503 with ``Retry-After`` and the
Chinese sentence to an API client, 422 with it to a browser, or the page's busy notice); a
*timeout* (the client gave up waiting: what must never happen); or another error (an exception in the
client, or the page's "服务出了点问题" message). When a round first sees a busy reply, it asks the full
queue itself, as an API client and as a browser, and records what each was told. The server's RSS is
read once it is up and answering (``VmRSS``) and its peak (``VmHWM``) after each round. Every
connection this process makes is checked to be loopback.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from common.settings import (
    REPO_ROOT,  # first: telemetry (Gradio analytics included) off
)
from bench.results import report

GOLD = REPO_ROOT / "evals" / "gold" / "questions.yaml"
HOST = "127.0.0.1"
NO_PROFILE = {"chosen": True}  # the page's BrowserState: region not given
SERVICE_ERROR = "服务出了点问题"
BUSY_WORDS = "服务器忙"
TRANSPORTS = ("gradio", "rest", "lite")
"""The ways in a run can take (see the module docstring)."""


# --- nothing leaves the machine -------------------------------------------------------------

def _loopback_only(connect):
    def guarded(sock, address, *args):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0]).split("%")[0]
            try:
                ok = ipaddress.ip_address(host).is_loopback
            except ValueError:
                ok = host == "localhost"
            if not ok:
                raise ConnectionRefusedError(f"bench.load: non-loopback connection blocked: {address!r}")
        return connect(sock, address, *args)

    return guarded


def guard_network() -> None:
    """Refuse any connection of this process that is not to loopback."""
    socket.socket.connect = _loopback_only(socket.socket.connect)
    socket.socket.connect_ex = _loopback_only(socket.socket.connect_ex)


# --- the server -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(port: int, *, log, env: dict | None = None, code: Path = REPO_ROOT) -> subprocess.Popen:
    """``laoquan serve --host 127.0.0.1 --port N`` of the checkout ``code`` (default this one: ``python -m
    laoquan.cli`` from its folder, with it first on ``PYTHONPATH``, not whatever the ``laoquan`` script
    points at) in its own process group, output to ``log``; its API info published (``LAOQUAN_API_INFO``),
    which ``gradio_client`` reads."""
    variables = {**os.environ, "LAOQUAN_API_INFO": "1", **(env or {}), "PYTHONPATH": os.pathsep.join([str(code), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.Popen([sys.executable, "-m", "laoquan.cli", "serve", "--host", HOST, "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, cwd=code, start_new_session=True, env=variables)


def wait_until_up(server: subprocess.Popen, url: str, *, timeout: float) -> float:
    """Seconds until ``url`` answers HTTP 200; raises if the server exits or the time runs out."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"laoquan serve exited with code {server.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer HTTP 200 within {timeout:.0f} s")


def peak_rss_mb(pid: int, field: str = "VmHWM") -> int:
    """``VmHWM`` (peak resident set; ``field="VmRSS"``: now) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def what_a_full_queue_says(url: str) -> dict:
    """Join the queue directly, as an API client and as a browser, and record the replies (status,
    ``Retry-After``, the message): asked when a round first sees a busy reply, so the queue is full."""
    import httpx

    out = {}
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            config = http.get("config").json()
            ask = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")
            body = {"data": ["问题", NO_PROFILE], "fn_index": ask, "session_hash": "benchprobe01"}
            for who, headers in (("api", {}), ("browser", {"User-Agent": "Mozilla/5.0 (Linux; Android 14)"})):
                r = http.post("gradio_api/queue/join", json=body, headers=headers)
                detail = r.json().get("detail") if r.headers.get("content-type", "").startswith("application/json") else r.text[:80]
                out[who] = {"status": r.status_code, "retry_after": r.headers.get("retry-after"), "says": detail}
    except Exception as exc:  # noqa: BLE001 — a probe, never the round's failure
        out["probe_error"] = f"{type(exc).__name__}: {exc}"
    return out


def stop_server(server: subprocess.Popen, *, timeout: float = 15) -> None:
    """SIGTERM (then SIGKILL) to the server's own process group, and wait for it."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, 15)
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, 9)
        server.wait(timeout=timeout)


# --- the users ------------------------------------------------------------------------------

@dataclass
class Tally:
    """What all users saw; appended to from many threads."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    """What each client turned away was told."""
    busy_ms: list[float] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    first_busy: threading.Event = field(default_factory=threading.Event)

    def ok(self, ms: float) -> None:
        with self.lock:
            self.latencies_ms.append(ms)

    def turned_away(self, what: str, ms: float) -> None:
        with self.lock:
            self.busy.append(what)
            self.busy_ms.append(ms)
        self.first_busy.set()

    def timed_out(self, what: str) -> None:
        with self.lock:
            self.timeouts.append(what)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def user(url: str, questions: list[str], tally: Tally, *, deadline: float, transport: str = "gradio") -> None:
    """One user: connect, then ask each question in turn until done or past the deadline."""
    try:
        if transport == "gradio":
            from gradio_client import Client

            client = Client(url, verbose=False, analytics_enabled=False, download_files=False, max_workers=2)
        else:
            import httpx

            client = httpx.Client(base_url=url, timeout=httpx.Timeout(max(1.0, deadline - time.monotonic())))
    except Exception as exc:  # noqa: BLE001 — count it, keep the other users going
        tally.error(f"connect: {type(exc).__name__}: {exc}")
        return
    asking = {"gradio": ask, "rest": ask_rest, "lite": ask_lite}[transport]
    try:
        for question in questions:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tally.error("not asked: time limit reached")
                continue
            asking(client, question, tally, timeout=remaining)
    finally:
        client.close()


def ask(client, question: str, tally: Tally, *, timeout: float) -> None:
    import concurrent.futures

    import httpx
    from gradio_client.exceptions import AppError
    from gradio_client.utils import QueueError

    started = time.perf_counter()
    try:
        job = client.submit(question, NO_PROFILE, api_name="/ask")
        _transcript, sources, _box = job.result(timeout=timeout)  # ``sources``: the notice line (errors)
    except QueueError:  # HTTP 503 from the queue: the client library's own words; the reply carries the Chinese sentence
        tally.turned_away("503 (queue full)", (time.perf_counter() - started) * 1000)
        return
    except (httpx.TimeoutException, concurrent.futures.TimeoutError, TimeoutError) as exc:
        tally.timed_out(f"{type(exc).__name__}")
        return
    except AppError as exc:
        if BUSY_WORDS in str(exc):
            tally.turned_away("422 (busy, in Chinese)", (time.perf_counter() - started) * 1000)
        else:
            tally.error(f"ask: AppError: {exc}")
        return
    except Exception as exc:  # noqa: BLE001
        tally.error(f"ask: {type(exc).__name__}: {exc}")
        return
    if BUSY_WORDS in (sources or ""):
        tally.turned_away("page notice 「服务器忙」", (time.perf_counter() - started) * 1000)
        return
    if SERVICE_ERROR in (sources or ""):
        tally.error("server: answer failed")
        return
    tally.ok((time.perf_counter() - started) * 1000)


def ask_rest(client, question: str, tally: Tally, *, timeout: float) -> None:
    """``POST /api/v1/ask``: 200 is an answer, 400 a question the bot cannot take (an answer too, as
    the page's notice is), 503 with the busy sentence a client turned away, anything else an error."""
    _ask_http(client, "POST", "api/v1/ask", tally, timeout=timeout, json={"question": question})


def ask_lite(client, question: str, tally: Tally, *, timeout: float) -> None:
    """``GET /lite?q=…``: as :func:`ask_rest`, the page's HTML instead of JSON."""
    _ask_http(client, "GET", "lite", tally, timeout=timeout, params={"q": question})


def _ask_http(client, method: str, path: str, tally: Tally, *, timeout: float, **request) -> None:
    import httpx

    started = time.perf_counter()
    try:
        response = client.request(method, path, timeout=timeout, **request)
    except httpx.TimeoutException as exc:
        tally.timed_out(type(exc).__name__)
        return
    except Exception as exc:  # noqa: BLE001
        tally.error(f"{path}: {type(exc).__name__}: {exc}")
        return
    ms = (time.perf_counter() - started) * 1000
    if response.status_code == 503 and BUSY_WORDS in response.text:
        tally.turned_away(f"503 (busy, in Chinese; Retry-After {response.headers.get('retry-after')})", ms)
    elif response.status_code in (200, 400) and SERVICE_ERROR not in response.text:
        tally.ok(ms)
    else:
        tally.error(f"{path}: HTTP {response.status_code}")


def simulate(urls: list[str], pool: list[str], *, users: int, questions: int, max_seconds: float, seed: int,
             transport: str = "gradio") -> tuple[Tally, float, dict]:
    """All users at once, one thread each, user *i* on server ``urls[i % len(urls)]`` (a proxy's
    round robin); returns the tally, the wall time in seconds and what a full queue said to a client
    that joined the first server directly (empty when no one was turned away)."""
    rng = random.Random(seed)
    tally = Tally()
    deadline = time.monotonic() + max_seconds
    threads = [threading.Thread(target=user, args=(urls[i % len(urls)], rng.sample(pool, questions), tally),
                                kwargs={"deadline": deadline, "transport": transport}, daemon=True)
               for i in range(users)]
    full_queue: dict = {}

    def probe() -> None:
        if tally.first_busy.wait(timeout=max_seconds) and tally.busy and transport == "gradio":  # (set at the end of a round with no one turned away)
            full_queue.update(what_a_full_queue_says(urls[0]))  # (rest and lite: the busy replies themselves are in busy_said)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 10)
    wall = time.perf_counter() - started
    tally.first_busy.set()
    prober.join(timeout=40)
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        tally.error(f"{stuck} user(s) still waiting at the time limit")
    return tally, wall, full_queue


# --- putting it together --------------------------------------------------------------------

def round_row(tally: Tally, wall: float, full_queue: dict, *, users: int, questions: int) -> dict:
    """One round's figures."""
    from evals.metrics import percentile

    ordered = sorted(tally.latencies_ms)
    busy = sorted(tally.busy_ms)
    return {
        "users": users,
        "questions_per_user": questions,
        "requests": users * questions,
        "answered": len(ordered),
        "busy": len(tally.busy),
        "busy_said": sorted(set(tally.busy)),
        "busy_p95_ms": round(percentile(busy, 95)) if busy else None,
        "timeouts": len(tally.timeouts),
        "errors": len(tally.errors),
        "first_errors": sorted(set(tally.errors + tally.timeouts))[:3],
        "wall_s": round(wall, 1),
        "answers_per_s": round(len(ordered) / wall, 1) if wall else 0.0,
        "client_p50_ms": round(percentile(ordered, 50)) if ordered else None,
        "client_p95_ms": round(percentile(ordered, 95)) if ordered else None,
        "client_p99_ms": round(percentile(ordered, 99)) if ordered else None,
        "client_max_ms": round(ordered[-1]) if ordered else None,
        "full_queue_says": full_queue,
    }


def run(*, users: int | list[int] = 50, questions: int = 4, max_seconds: float = 300, start_timeout: float = 180, seed: int = 0,
        env: dict | None = None, code: Path = REPO_ROOT, processes: int = 1, transport: str = "gradio") -> list[dict]:
    """``processes`` servers (of the checkout ``code``, each its own ``laoquan serve`` on its own port,
    sharing the data folder and the records, as several servers behind a proxy do), one round per
    number of users (each a row); ``env``: extra variables for the servers; ``transport``: the way in
    (:data:`TRANSPORTS`). RSS figures are summed over the servers."""
    from evals.metrics import load_gold

    guard_network()
    levels = [users] if isinstance(users, int) else list(users)
    pool = [item.question for item in load_gold(GOLD)]
    ports = [free_port() for _ in range(processes)]
    urls = [f"http://{HOST}:{port}/" for port in ports]
    if transport == "rest":
        env = {"LAOQUAN_API_RATE_LIMIT": "", **(env or {})}  # every simulated user comes from 127.0.0.1
    load_before = round(os.getloadavg()[0], 2)
    rows = []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        servers = []
        try:
            for port in ports:
                servers.append(start_server(port, log=log, env=env, code=code))
            start_s = max(wait_until_up(server, url, timeout=start_timeout) for server, url in zip(servers, urls))
            start_rss = sum(peak_rss_mb(server.pid, "VmRSS") for server in servers)
            for n, level in enumerate(levels):
                tally, wall, full_queue = simulate(urls, pool, users=level, questions=questions, max_seconds=max_seconds, seed=seed + n,
                                                   transport=transport)
                rows.append({
                    "when": datetime.now(UTC).isoformat(timespec="seconds"),
                    "bench": "load",
                    "code": "this checkout" if code == REPO_ROOT else str(code),
                    "machine": f"{platform.machine()} {len(os.sched_getaffinity(0))} cores",
                    "processes": processes,
                    "transport": transport,
                    "loadavg_1m_before": load_before,
                    "server_start_s": round(start_s, 1),
                    "server_rss_at_start_mb": start_rss,
                    **round_row(tally, wall, full_queue, users=level, questions=questions),
                    "server_peak_rss_mb": sum(peak_rss_mb(server.pid) for server in servers),
                    "server_alive": all(server.poll() is None for server in servers),
                })
                load_before = round(os.getloadavg()[0], 2)
        except BaseException:
            log.seek(0)
            print("--- laoquan serve output (last lines) ---", *log.read().splitlines()[-20:], sep="\n", file=sys.stderr)
            raise
        finally:
            for server in servers:
                stop_server(server)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50, 200], help="simulated users, all at once; one round per number")
    parser.add_argument("--questions", type=int, default=4, help="questions each user asks, one after the other")
    parser.add_argument("--max-seconds", type=float, default=300, help="time limit for all users of a round together")
    parser.add_argument("--seed", type=int, default=0, help="which gold questions each user draws")
    parser.add_argument("--code", type=Path, default=REPO_ROOT, help="the checkout whose `laoquan serve` is started (another one: a before/after pair)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1], help="servers side by side (one run each: `--processes 1 4` compares one with four)")
    parser.add_argument("--transport", nargs="+", choices=TRANSPORTS, default=["gradio"],
                        help="the way in: the page (gradio_client), the REST API (/api/v1/ask) or /lite; one run each")
    args = parser.parse_args()
    for transport in args.transport:
        for processes in args.processes:
            for row in run(users=args.users, questions=args.questions, max_seconds=args.max_seconds, seed=args.seed, code=args.code.resolve(),
                           processes=processes, transport=transport):
                report(row)


if __name__ == "__main__":
    main()
