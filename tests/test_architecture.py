"""The package tree is the pipeline: imports point down it, never up, and never in a circle.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a lazy import
that points up is still a dependency a reader has to follow back.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAG = ROOT / "rag"
# the stages, bottom up; evaluation and bench sit beside each other above answer
RANK = {"errors": 0, "config": 1, "text": 2, "ingest": 3, "index": 4, "search": 5, "answer": 6,
        "evaluation": 7, "bench": 7, "app": 8, "__main__": 9}
MAX_LINES = 400
SEED_NAMES = ("青白江", "江津", "珞璜", "小南垭", "Qingbaijiang", "Jiangjin")


def _modules() -> dict[str, Path]:
    out = {}
    for path in RAG.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every rag module ``name`` imports, wherever the import statement sits."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "rag"


def test_every_module_belongs_to_a_known_stage():
    unknown = sorted(m for m in MODULES if m != "rag" and _stage(m) not in RANK)
    assert not unknown


def test_imports_point_down_the_pipeline():
    upward = [f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets
              if m != "rag" and t != "rag" and RANK[_stage(t)] > RANK[_stage(m)]]
    assert not upward, "imports that point up the pipeline:\n" + "\n".join(sorted(upward))


def test_beside_stages_do_not_import_each_other():
    sideways = [f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets
                if {_stage(m), _stage(t)} == {"evaluation", "bench"}]
    assert not sideways


def test_no_import_circles():
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_readable(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by idea"


def test_every_package_names_its_public_api():
    for init in RAG.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert len(doc) > 80, f"{init.parent.name}/__init__.py needs a docstring naming its public API"


def test_no_code_names_a_seed_place():
    pattern = re.compile("|".join(SEED_NAMES), re.I)
    named = [str(p.relative_to(ROOT)) for p in RAG.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert not named
