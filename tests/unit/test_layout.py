"""The package layout: `ionet`'s modules import each other without a cycle (every import counted,
those inside functions too), and each package holds what its docstring says."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ionet"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the ionet modules it imports (`from ionet.x import y` counts ionet.x.y when that is a
    module, else ionet.x)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ionet"):
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    edges.add(sub if sub in modules else node.module)
        graph[name] = {e for e in edges if e != name and e in modules and not name.startswith(e + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first search (each reported once, from its first module)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                found.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return found


def test_import_graph__ionet__has_no_cycle():
    assert cycles(import_graph()) == []


def test_cycles__a_two_module_loop__is_found():
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b", "a"]]


def test_layout__models__import_neither_ape_nor_the_chain_service_or_serving():
    """The reference models are plain Python: the tests, the engines and the chain code build on them (the
    distributor's model takes the Merkle leaves it claims, ionet.engines.merkle's data types)."""
    graph = import_graph()
    models = [n for n in graph if n.startswith("ionet.models.")]
    assert len(models) == 7
    for name in models:
        allowed = ("ionet", "ionet.engines.merkle")
        assert all(e.startswith("ionet.models") or e in allowed for e in graph[name]), (name, graph[name])
        source = PACKAGE.joinpath(*name.split(".")[1:]).with_suffix(".py").read_text()
        assert "from ape" not in source and "import ape" not in source, name


def test_layout__engines__never_import_the_chain_code_service_or_serving():
    graph = import_graph()
    engines = [n for n in graph if n.startswith("ionet.engines.")]
    assert engines
    for name in engines:
        assert not any(e.startswith(("ionet.chain", "ionet.service", "ionet.serve")) for e in graph[name]), name
