"""The layers point down: common → corpus → kb → bot → laoquan (the app) → evals → bench.

A module may import its own package and the packages below it, never one above; and no two modules
import each other, directly or round a longer circle. Imports inside functions count too (a lazy
import is still an arrow). Read with ``ast``, so the test needs nothing installed.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["common", "corpus", "kb", "bot", "laoquan", "evals", "bench"]
"""Bottom first: each package may import only itself and the ones before it."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports (``from kb import store`` counts as ``kb.store``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != here:
                found.add(name)
    return found


def project_graph() -> dict[str, set[str]]:
    files = [f for layer in LAYERS for f in (ROOT / layer).rglob("*.py")]
    known = {module_name(f) for f in files}
    return {module_name(f): imported_modules(f, known) for f in files}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    return sorted(
        f"{mod} imports {dep}"
        for mod, deps in graph.items()
        for dep in deps
        if rank[dep.split(".")[0]] > rank[mod.split(".")[0]]
    )


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for dep in graph.get(node, ()):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_a_layer_above_it():
    assert upward_imports(project_graph()) == []


def test_no_two_modules_import_each_other():
    assert circles(project_graph()) == []


def test_the_checks_catch_what_they_must(tmp_path):
    graph = {"kb.store": {"kb.generations", "bot.answer"}, "kb.generations": {"kb.store"}, "bot.answer": set(), "common.files": set()}
    assert upward_imports(graph) == ["kb.store imports bot.answer"]
    assert circles(graph) == [["kb.generations", "kb.store"]]
    assert circles({"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}}) == [["a.x", "a.y", "a.z"]]


@pytest.mark.parametrize("source, expected", [
    ("from kb.store import VectorStore", {"kb.store"}),
    ("from kb import store", {"kb.store"}),
    ("import bot.answer as answer", {"bot.answer"}),
    ("def f():\n    from bot.web import Asker", {"bot.web"}),
    ("from . import split", {"kb.split"}),
])
def test_imports_are_read_in_every_form(tmp_path, source, expected, monkeypatch):
    module = ROOT / "kb" / "_layer_probe.py"
    known = {"kb.store", "kb.split", "bot.answer", "bot.web", "kb", "bot", "kb._layer_probe"}
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    assert imported_modules(module, known) == expected
