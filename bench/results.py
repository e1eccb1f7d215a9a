"""Where benchmark figures go: a Markdown table on stdout and one JSON line in ``bench/results.jsonl``."""
from __future__ import annotations

import json

from common.settings import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results.jsonl"


def report(row: dict) -> None:
    """Print ``row`` as a two-column table and append it to the results file."""
    print("| measure | value |\n|---|---|")
    for key, value in row.items():
        print(f"| {key} | {value} |")
    with open(RESULTS, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
