"""The import rules of docs/architecture.md: a folder is a layer and imports only from the
layers below it (and from itself). Imports are read with `ast`, so imports inside functions
count too; a failure names the file, the line and the forbidden import."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"

# Modules directly under pipeline/ and the layer each belongs to; every package
# (pipeline/<name>/) is its own layer.
ROOT_MODULES = {"cli": "cli"}
NUMERIC = {"calibration", "pose2d", "sync", "triangulation", "gait", "quality"}
BASE = {"core", "io", "config"}
# layer -> the layers it may import (its own is always allowed)
ALLOWED = {
    "root": set(),  # pipeline/__init__.py
    "core": set(),
    "io": {"core"},
    "config": {"core"},
    **{name: BASE for name in NUMERIC},
    "synth": BASE | NUMERIC,
    "report": BASE | NUMERIC,
    "study": {"core", "config", "io"},
    "stages": BASE | NUMERIC | {"synth", "report", "study"},
    "cluster": {"core"},  # runs the stages' own commands; imports none of them
    "cli": BASE | NUMERIC | {"synth", "report", "study", "stages", "cluster"},
}
HTML = re.compile(r"<(html|body|table|div|svg|span|p)[\s>]", re.IGNORECASE)


def layer_of(module: str) -> str | None:
    """'pipeline.io.formats' -> 'io'; 'pipeline.core.geometry' -> 'core'; None outside pipeline."""
    parts = module.split(".")
    if parts[0] != "pipeline":
        return None
    if len(parts) == 1:
        return "root"
    if (PIPELINE / parts[1]).is_dir():
        return parts[1]
    return ROOT_MODULES.get(parts[1], f"unassigned module pipeline.{parts[1]}")


def module_name(path: Path) -> str:
    rel = path.relative_to(PIPELINE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module == "pipeline":  # from pipeline import geometry
                found.extend((node.lineno, f"pipeline.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, module))
    return found


def violations() -> list[str]:
    out = []
    for path in sorted(PIPELINE.rglob("*.py")):
        own = layer_of(module_name(path))
        if own not in ALLOWED:
            out.append(
                f"{path.relative_to(PIPELINE.parent)}: layer '{own}' is not in "
                "docs/architecture.md (add it there and to ALLOWED in this test)"
            )
            continue
        for line, module in imported_modules(path):
            target = layer_of(module)
            if target is None or target == own:
                continue
            if target not in ALLOWED[own]:
                out.append(
                    f"{path.relative_to(PIPELINE.parent)}:{line} imports {module} "
                    f"(layer '{target}'), which layer '{own}' may not import"
                )
    return out


def test_every_import_goes_down_the_layers():
    found = violations()
    assert not found, "imports against docs/architecture.md:\n" + "\n".join(found)


def test_html_is_written_only_in_report():
    found = []
    for path in sorted(PIPELINE.rglob("*.py")):
        if path.relative_to(PIPELINE).parts[0] == "report":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and HTML.search(node.value)
            ):
                found.append(f"{path.relative_to(PIPELINE.parent)}:{node.lineno}")
    assert not found, "HTML outside pipeline/report/ (move it there): " + ", ".join(found)


def test_the_rules_catch_an_upward_import():
    """The checker itself: what it reads, and the imports it refuses."""
    probe = PIPELINE / "calibration" / "extrinsics.py"
    assert "pipeline.core.dlt" in {m for _, m in imported_modules(probe)}
    assert layer_of("pipeline.triangulation.run") not in ALLOWED["calibration"]
    assert layer_of("pipeline.report.html") not in ALLOWED["gait"]
    assert layer_of("pipeline.stages.common") not in ALLOWED["report"]
    assert layer_of("pipeline.synth.observe") not in ALLOWED["pose2d"]
    assert layer_of("pipeline.config") not in ALLOWED["core"]


def import_graph() -> dict[str, set[str]]:
    """module -> the pipeline modules it imports, anywhere in the file (inside functions and
    under TYPE_CHECKING too); `from pipeline.x import y` counts y when y is a module."""
    modules = {module_name(p): p for p in PIPELINE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets |= {
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if f"{node.module}.{a.name}" in modules
                }
        targets |= {m for _, m in imported_modules(path) if m in modules}
        graph[name] = targets - {name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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
    return sorted(found)


def test_no_import_cycle():
    """Two modules that import each other (even lazily, inside a function) are one module in
    disguise: the layer test cannot order them and an edit to either is an edit to both."""
    found = import_cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_cycle_check_sees_lazy_imports():
    graph = {
        "pipeline.a": {"pipeline.b"},
        "pipeline.b": {"pipeline.c"},
        "pipeline.c": {"pipeline.a"},
        "pipeline.d": {"pipeline.a"},
    }
    assert import_cycles(graph) == [["pipeline.a", "pipeline.b", "pipeline.c"]]
    # MMDetPersonDetector imports mmpose_backend inside its __init__
    assert "pipeline.pose2d.mmpose_backend" in import_graph()["pipeline.pose2d.person_boxes"]
