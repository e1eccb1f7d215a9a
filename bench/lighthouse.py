"""Benchmark: Lighthouse's mobile performance and accessibility scores of the worker pages (``/`` and
``/lite``) and the weight of their first load. Prints a table and appends a JSON line to
``bench/results.jsonl``.

    .venv/bin/python -m bench.lighthouse --url http://127.0.0.1:7860 [--lighthouse PATH]

Needs a running server (``laoquan serve``) and Lighthouse 12.2.3 (the last for Node 20), installed
outside the repository: ``npm i -E lighthouse@12.2.3`` in a folder of your own, then pass its
``node_modules/.bin/lighthouse`` (or set ``LAOQUAN_LIGHTHOUSE``). Chromium is Debian's
(``/usr/bin/chromium``), run headless. Lighthouse's mobile defaults apply: a 412×823 phone, a
simulated slow 4G and a 4× slower CPU. Nothing leaves the machine: the pages ask only the server.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench.results import report

PAGES = {"/": "worker", "/lite": "lite",
         "/lite?" + urlencode({"q": "送外卖路上被车撞了，算工伤吗？", "province": "浙江", "city": "杭州", "job": "外卖"}): "lite_answer"}
CHROMIUM = "/usr/bin/chromium"


def find_lighthouse(given: str | None) -> str:
    found = given or os.environ.get("LAOQUAN_LIGHTHOUSE") or shutil.which("lighthouse")
    if not found or not Path(found).exists():
        raise SystemExit("没有找到 lighthouse：在仓库外的文件夹里运行 npm i -E lighthouse@12.2.3，"
                         "再用 --lighthouse 指向 node_modules/.bin/lighthouse（或设 LAOQUAN_LIGHTHOUSE）。")
    return found


def run_page(lighthouse: str, url: str, out: Path) -> dict:
    """One Lighthouse run (mobile, performance + accessibility) → its scores and first-load figures."""
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run([lighthouse, url, "--quiet", "--output=json", f"--output-path={out}", "--form-factor=mobile",
                    "--only-categories=performance,accessibility", "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                    "--locale=zh"], check=True, env=env, timeout=600)
    data = json.loads(out.read_text(encoding="utf-8"))
    audits = data["audits"]
    requests = audits.get("network-requests", {}).get("details", {}).get("items", [])
    return {
        "performance": round(data["categories"]["performance"]["score"] * 100),
        "accessibility": round(data["categories"]["accessibility"]["score"] * 100),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "requests": len(requests),
        "transfer_kb": round(sum(r.get("transferSize", 0) for r in requests) / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860", help="the running server")
    parser.add_argument("--lighthouse", help="path of the lighthouse command (npm i -E lighthouse@12.2.3)")
    parser.add_argument("--no-save", action="store_true", help="print only; do not append to bench/results.jsonl")
    args = parser.parse_args(argv)
    lighthouse = find_lighthouse(args.lighthouse)
    row: dict = {"bench": "lighthouse", "at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.node(),
                 "cpus": os.cpu_count(), "lighthouse": "12.2.3", "form_factor": "mobile"}
    with tempfile.TemporaryDirectory(prefix="laoquan-lighthouse-") as tmp:
        for path, name in PAGES.items():
            scores = run_page(lighthouse, args.url.rstrip("/") + path, Path(tmp) / f"{name}.json")
            row.update({f"{name}_{k}": v for k, v in scores.items()})
    if args.no_save:
        print(json.dumps(row, ensure_ascii=False, indent=1))
    else:
        report(row)


if __name__ == "__main__":
    main()
