"""Benchmark: many users at once against ``laoquan serve``. Starts the web UI on 127.0.0.1 at a free
port as a subprocess, lets simulated users (one ``gradio_client.Client`` each, one thread each) ask
questions drawn from the gold set, then stops the server. Prints a table and appends a JSON line
to ``bench/results.jsonl``.

    .venv/bin/python -m bench.load [--users 50] [--questions 4] [--max-seconds 300]

Latency is what a client sees for one ``/ask`` call (queueing included; connecting a
client is not counted). An error is an exception in the client, a call not finished within the
time limit, or the page's "服务出了点问题" message; a question the guards refuse is an answer.
The server's peak RSS is ``VmHWM`` of its process, read just before it is stopped. Every
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


def start_server(port: int, *, log) -> subprocess.Popen:
    """``laoquan serve --host 127.0.0.1 --port N`` of this checkout (``python -m laoquan.cli`` from the
    repo folder, not whatever the ``laoquan`` script points at) in its own process group, output to ``log``."""
    return subprocess.Popen([sys.executable, "-m", "laoquan.cli", "serve", "--host", HOST, "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, cwd=REPO_ROOT, start_new_session=True)


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


def peak_rss_mb(pid: int) -> int:
    """``VmHWM`` (peak resident set) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return 0


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
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, ms: float) -> None:
        with self.lock:
            self.latencies_ms.append(ms)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def user(url: str, questions: list[str], tally: Tally, *, deadline: float) -> None:
    """One user: connect, then ask each question in turn until done or past the deadline."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False, max_workers=2)
    except Exception as exc:  # noqa: BLE001 — count it, keep the other users going
        tally.error(f"connect: {type(exc).__name__}: {exc}")
        return
    try:
        for question in questions:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tally.error("not asked: time limit reached")
                continue
            ask(client, question, tally, timeout=remaining)
    finally:
        client.close()


def ask(client, question: str, tally: Tally, *, timeout: float) -> None:
    started = time.perf_counter()
    try:
        job = client.submit(question, NO_PROFILE, api_name="/ask")
        _transcript, sources, _box = job.result(timeout=timeout)  # ``sources``: the notice line (errors)
    except Exception as exc:  # noqa: BLE001
        tally.error(f"ask: {type(exc).__name__}: {exc}")
        return
    if SERVICE_ERROR in (sources or ""):
        tally.error("server: answer failed")
        return
    tally.ok((time.perf_counter() - started) * 1000)


def simulate(url: str, pool: list[str], *, users: int, questions: int, max_seconds: float, seed: int) -> tuple[Tally, float]:
    """All users at once, one thread each; returns the tally and the wall time in seconds."""
    rng = random.Random(seed)
    tally = Tally()
    deadline = time.monotonic() + max_seconds
    threads = [threading.Thread(target=user, args=(url, rng.sample(pool, questions), tally), kwargs={"deadline": deadline}, daemon=True)
               for _ in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 10)
    wall = time.perf_counter() - started
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        tally.error(f"{stuck} user(s) still waiting at the time limit")
    return tally, wall


# --- putting it together --------------------------------------------------------------------

def run(*, users: int = 50, questions: int = 4, max_seconds: float = 300, start_timeout: float = 180, seed: int = 0) -> dict:
    from evals.metrics import load_gold, percentile

    guard_network()
    pool = [item.question for item in load_gold(GOLD)]
    port = free_port()
    url = f"http://{HOST}:{port}/"
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        server = start_server(port, log=log)
        try:
            start_s = wait_until_up(server, url, timeout=start_timeout)
            tally, wall = simulate(url, pool, users=users, questions=questions, max_seconds=max_seconds, seed=seed)
            server_rss = peak_rss_mb(server.pid)
        except BaseException:
            log.seek(0)
            print("--- laoquan serve output (last lines) ---", *log.read().splitlines()[-20:], sep="\n", file=sys.stderr)
            raise
        finally:
            stop_server(server)
    ordered = sorted(tally.latencies_ms)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "bench": "load",
        "machine": f"{platform.machine()} {len(os.sched_getaffinity(0))} cores",
        "loadavg_1m_before": load_before,
        "users": users,
        "questions_per_user": questions,
        "server_start_s": round(start_s, 1),
        "requests": users * questions,
        "answered": len(ordered),
        "errors": len(tally.errors),
        "first_errors": sorted(set(tally.errors))[:3],
        "wall_s": round(wall, 1),
        "answers_per_s": round(len(ordered) / wall, 1) if wall else 0.0,
        "client_p50_ms": round(percentile(ordered, 50)),
        "client_p95_ms": round(percentile(ordered, 95)),
        "client_max_ms": round(ordered[-1]) if ordered else 0,
        "server_peak_rss_mb": server_rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users, all at once")
    parser.add_argument("--questions", type=int, default=4, help="questions each user asks, one after the other")
    parser.add_argument("--max-seconds", type=float, default=300, help="time limit for all users together")
    parser.add_argument("--seed", type=int, default=0, help="which gold questions each user draws")
    args = parser.parse_args()
    report(run(users=args.users, questions=args.questions, max_seconds=args.max_seconds, seed=args.seed))


if __name__ == "__main__":
    main()
