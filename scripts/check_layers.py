#!/usr/bin/env python3
"""Check formcheck's layering: no import cycle, no import from a higher layer.

    python scripts/check_layers.py [SRC_PACKAGE_DIR]     (default: src/formcheck)

Reads every module with ``ast`` (nothing is imported or run), including imports inside
functions: a lazy import is still a dependency. Prints each problem and exits 1 if any.

Layers, lowest first. A module may import from its own layer and the layers below it:

    core < io < exercises < analysis < render < coach < batch < cli

The package root (``formcheck/__init__.py``) holds only the version and must import nothing
from the layers (every submodule import runs it first).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = "formcheck"
LAYERS = ("core", "io", "exercises", "analysis", "render", "coach", "batch", "cli")


def module_name(path: Path, pkg_dir: Path) -> str:
    parts = list(path.relative_to(pkg_dir).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([PACKAGE, *parts])


def imports_of(path: Path, name: str, modules: set[str]) -> list[tuple[str, int]]:
    """(imported formcheck module, line) for every import in the file."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:  # ``from pkg import module`` depends on that module
                sub = f"{target}.{a.name}"
                out.append((sub if sub in modules else target, node.lineno))
    return [(m, ln) for m, ln in out if m == PACKAGE or m.startswith(PACKAGE + ".")]


def layer_of(module: str) -> int:
    """Index in LAYERS; -1 for the package root; ValueError for a module outside the layers."""
    parts = module.split(".")
    if len(parts) == 1:
        return -1
    if parts[1] not in LAYERS:
        raise ValueError(f"{module} is in no layer (put it in one of: {', '.join(LAYERS)})")
    return LAYERS.index(parts[1])


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def check(pkg_dir: Path) -> list[str]:
    """Every problem found under ``pkg_dir`` (the ``formcheck`` package folder), as text."""
    files = {module_name(p, pkg_dir): p for p in sorted(pkg_dir.rglob("*.py"))}
    modules = set(files)
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        rel = path.relative_to(pkg_dir.parent)
        try:
            own = layer_of(name)
        except ValueError as exc:
            problems.append(f"{rel}: {exc}")
            continue
        graph[name] = set()
        for target, line in imports_of(path, name, modules):
            if target != name:
                graph[name].add(target)
            try:
                theirs = layer_of(target)
            except ValueError:
                continue  # reported for that module itself
            if own == -1 and theirs != -1:
                problems.append(f"{rel}:{line}: the package root imports {target}")
            elif theirs > own:
                problems.append(f"{rel}:{line}: {name} ({LAYERS[own]}) imports {target} "
                                f"from a higher layer ({LAYERS[theirs]})")
    for comp in find_cycles({k: v & modules for k, v in graph.items()}):
        problems.append("import cycle: " + " <-> ".join(comp))
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    pkg_dir = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "src" / PACKAGE
    problems = check(pkg_dir)
    for p in problems:
        print(p)
    n = len(list(pkg_dir.rglob("*.py")))
    print(f"check_layers: {n} modules, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
