#!/usr/bin/env python3
"""Check that no function in formcheck is longer than MAX_LINES lines.

    python scripts/check_function_length.py [SRC_PACKAGE_DIR]     (default: src/formcheck)

A function's length is its ``def`` line to its last line, docstring, comments and blank lines
included (nested functions count in their parent too, and are checked themselves). Decorators
do not count. Reads every module with ``ast`` (nothing is imported or run). Prints each
function over the limit and exits 1 if any.

Why: a function a reader can hold in their head. A longer one is split into named steps, as
ruff's complexity rule (C901, max 12, in pyproject.toml) asks for branchy ones.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_LINES = 60


def long_functions(pkg_dir: Path, max_lines: int = MAX_LINES) -> list[str]:
    """``path:line: name is N lines (max M)`` for every function over ``max_lines``."""
    problems: list[str] = []
    for path in sorted(pkg_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        rel = path.relative_to(pkg_dir.parent)
        funcs = [node for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for node in sorted(funcs, key=lambda f: f.lineno):
            n = (node.end_lineno or node.lineno) - node.lineno + 1
            if n > max_lines:
                problems.append(f"{rel}:{node.lineno}: {node.name} is {n} lines "
                                f"(max {max_lines}; split it into named steps)")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    pkg_dir = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "src" / "formcheck"
    problems = long_functions(pkg_dir)
    for p in problems:
        print(p)
    print(f"check_function_length: {len(problems)} function(s) over {MAX_LINES} lines",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
