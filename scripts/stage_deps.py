"""The code each DVC stage runs, from its imports: checks or rewrites dvc.yaml's code deps.

A stage's code is the static import closure inside `pipeline/` of its runner
(`pipeline/stages/<stage>.py`) and of what `runlab` imports on the way to it (the imports
inside `run_stage` and `main` of pipeline/cli.py), package `__init__.py` files included.
A folder is listed whole only when every module in it is in the closure, else module by module.

    python scripts/stage_deps.py            # check: exit 1 naming each stage and module that differs
    python scripts/stage_deps.py --write    # rewrite the code entries of dvc.yaml (and studies/*/dvc.yaml)

Only `pipeline/...` entries of each stage's `deps:` are touched; data deps, params, outs and
comments stay. Standard library only (no runlab import), so it runs on a half-merged tree.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

PACKAGE = "pipeline"
RUNNERS = {
    "report_trial": "report",  # dvc.yaml stage -> pipeline/stages/<runner>.py
    "analyze_import": "analyze",
    "report_import": "report",
}
CLI_FUNCTIONS = ("main", "run_stage")  # what `runlab <stage>` runs before the runner
CODE_PREFIX = f"{PACKAGE}/"
# files a module reads at run time (not imports): a stage importing the module depends on them
DATA_FILES = {
    "pipeline/report/viewer.py": (
        "pipeline/report/viewer.js",
        "pipeline/report/vendor/three/three.module.min.js",
        "pipeline/report/vendor/three/OrbitControls.js",
    )
}


def module_file(root: Path, dotted: str) -> Path | None:
    """pipeline.a.b -> pipeline/a/b.py or pipeline/a/b/__init__.py (relative to root), or None."""
    parts = dotted.split(".")
    if parts[0] != PACKAGE:
        return None
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(root)
    return None


def _module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, path: Path) -> list[str]:
    """Dotted names an import statement may load (a `from x import y` may load x.y)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:  # relative: from .x import y
        package = _module_name(path).split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [base] + [f"{base}.{a.name}" for a in node.names]


def _with_packages(root: Path, dotted: str) -> list[Path]:
    """The module's file and every package __init__.py importing it runs."""
    parts = dotted.split(".")
    files = [module_file(root, ".".join(parts[:i])) for i in range(1, len(parts) + 1)]
    return [f for f in files if f is not None]


def closure(root: Path, start: list[str], cli_functions: tuple[str, ...] = ()) -> set[Path]:
    """Files under pipeline/ reached from the dotted modules `start` (plus the imports inside
    the named functions of pipeline/cli.py), relative to root."""
    todo: list[Path] = [f for name in start for f in _with_packages(root, name)]
    cli = root / PACKAGE / "cli.py"
    if cli_functions and cli.is_file():
        for fn in ast.parse(cli.read_text()).body:
            if isinstance(fn, ast.FunctionDef) and fn.name in cli_functions:
                for node in ast.walk(fn):
                    for name in _imported(node, cli.relative_to(root)):
                        todo += _with_packages(root, name)
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        seen |= {Path(f) for f in DATA_FILES.get(path.as_posix(), ())}
        for node in ast.walk(ast.parse((root / path).read_text(), filename=str(path))):
            for name in _imported(node, path):
                todo += _with_packages(root, name)
    return seen


def stage_closure(root: Path, stage: str) -> set[Path]:
    runner = RUNNERS.get(stage, stage)
    return closure(root, [f"{PACKAGE}.stages.{runner}"], CLI_FUNCTIONS)


def _modules_under(root: Path, folder: Path) -> set[Path]:
    return {
        p.relative_to(root) for p in (root / folder).rglob("*.py") if "__pycache__" not in p.parts
    }


def compact(root: Path, files: set[Path]) -> list[str]:
    """dvc.yaml entries covering exactly `files`: a folder when all its modules are in."""
    entries: list[str] = []
    covered: set[Path] = set()
    folders = sorted(
        {p.parent for f in files for p in [f, *f.parents] if p != Path(".")},
        key=lambda p: len(p.parts),
    )
    for folder in folders:
        if folder == Path(PACKAGE) or any(folder.is_relative_to(Path(e)) for e in entries):
            continue
        modules = _modules_under(root, folder)
        if modules and modules <= files:
            entries.append(folder.as_posix())
            covered |= modules
    entries += [f.as_posix() for f in files - covered]
    return sorted(entries)


def expand(root: Path, entries: list[str]) -> set[Path]:
    """The modules dvc.yaml code entries cover."""
    out: set[Path] = set()
    for entry in entries:
        path = Path(entry)
        out |= _modules_under(root, path) if (root / path).is_dir() else {path}
    return out


# --- dvc.yaml text: each stage's deps block, code entries only -------------------------------

STAGE_RE = re.compile(r"^  (\w+):\s*(#.*)?$")
DEPS_RE = re.compile(r"^(\s+)deps:\s*$")
ENTRY_RE = re.compile(r"^(\s+)- (\S+)")


def _blocks(lines: list[str]):
    """(stage, indices of its `deps:` entries) per stage of a dvc.yaml."""
    stage, indent, entries = None, None, []
    for i, line in enumerate(lines):
        if indent is not None:  # inside a deps block
            e = ENTRY_RE.match(line)
            if e and len(e.group(1)) > indent:
                entries.append(i)
                continue
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            yield stage, entries
            indent, entries = None, []
        m = STAGE_RE.match(line)
        if m:
            stage = m.group(1)
        d = DEPS_RE.match(line)
        if d and stage:
            indent = len(d.group(1))
    if indent is not None:
        yield stage, entries


def _code_prefix(path_in_file: str) -> str:
    """'' at the repository root, '../../' in studies/<name>/dvc.yaml."""
    return path_in_file[: path_in_file.index(CODE_PREFIX)]


def declared(text: str) -> dict[str, list[str]]:
    """stage -> its code entries (repository-relative), from dvc.yaml text."""
    lines = text.splitlines()
    out: dict[str, list[str]] = {}
    for stage, entries in _blocks(lines):
        code = []
        for i in entries:
            path = ENTRY_RE.match(lines[i]).group(2)
            if CODE_PREFIX in path and not path.startswith("$"):
                code.append(path[len(_code_prefix(path)) :])
        out[stage] = code
    return out


def rewrite(root: Path, text: str) -> str:
    """dvc.yaml text with each stage's code entries replaced by its closure."""
    lines = text.splitlines()
    replace: dict[int, list[str]] = {}
    drop: set[int] = set()
    for stage, entries in _blocks(lines):
        code = [
            i
            for i in entries
            if CODE_PREFIX in ENTRY_RE.match(lines[i]).group(2)
            and not ENTRY_RE.match(lines[i]).group(2).startswith("$")
        ]
        if not code:
            continue
        first = ENTRY_RE.match(lines[code[0]])
        indent, prefix = first.group(1), _code_prefix(first.group(2))
        new = [
            f"{indent}# code: imports of pipeline/stages/{RUNNERS.get(stage, stage)}.py "
            "(python scripts/stage_deps.py --write)"
        ]
        new += [f"{indent}- {prefix}{e}" for e in compact(root, stage_closure(root, stage))]
        replace[code[0]] = new
        drop |= set(code[1:])
        # the previous generated header, if any
        if lines[code[0] - 1].strip().startswith("# code: imports of"):
            drop.add(code[0] - 1)
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in replace:
            out += replace[i]
        elif i not in drop:
            out.append(line)
    return "\n".join(out) + "\n"


def problems(root: Path, text: str, label: str = "dvc.yaml") -> list[str]:
    """One line per stage whose code entries are not exactly its import closure."""
    found = []
    for stage, entries in declared(text).items():
        if not entries:
            continue
        want = stage_closure(root, stage)
        have = expand(root, entries)
        for f in sorted(want - have):
            found.append(f"{label}: stage {stage} runs {f.as_posix()} but does not list it in deps")
        for f in sorted(have - want):
            found.append(
                f"{label}: stage {stage} lists {f.as_posix()} in deps but never imports it"
            )
        for e in entries:
            if not (root / e).exists():
                found.append(f"{label}: stage {stage} lists {e}, which does not exist")
    return found


def pipeline_files(root: Path) -> list[Path]:
    return [root / "dvc.yaml", *sorted((root / "studies").glob("*/dvc.yaml"))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="rewrite the code deps of every dvc.yaml")
    p.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    args = p.parse_args(argv)
    root = Path(args.root)
    found = []
    for path in pipeline_files(root):
        if not path.is_file():
            continue
        text = path.read_text()
        if args.write:
            new = rewrite(root, text)
            if new != text:
                path.write_text(new)
                print(f"wrote {path.relative_to(root)}")
        else:
            found += problems(root, text, str(path.relative_to(root)))
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print("fix: python scripts/stage_deps.py --write", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
