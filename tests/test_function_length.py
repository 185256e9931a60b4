"""The function-length rule (scripts/check_function_length.py): no function over 60 lines."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _checker():
    spec = importlib.util.spec_from_file_location(
        "check_function_length", ROOT / "scripts" / "check_function_length.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _function(name: str, body_lines: int, indent: str = "") -> str:
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(body_lines))
    return f"{indent}def {name}():\n{body}"


def test_no_function_in_formcheck_is_over_60_lines():
    checker = _checker()
    assert checker.MAX_LINES == 60
    assert checker.long_functions(ROOT / "src" / "formcheck") == []


def test_a_long_function_is_reported_and_one_at_the_limit_is_not(tmp_path):
    pkg = tmp_path / "formcheck"
    (pkg / "core").mkdir(parents=True)
    (pkg / "core" / "fine.py").write_text(_function("at_limit", 59))  # 60 lines with its def
    (pkg / "core" / "long.py").write_text(
        "import os\n\n\n" + _function("too_long", 60))
    assert _checker().long_functions(pkg) == [
        "formcheck/core/long.py:4: too_long is 61 lines (max 60; split it into named steps)"]


def test_methods_and_nested_functions_are_checked(tmp_path):
    pkg = tmp_path / "formcheck"
    pkg.mkdir()
    nested = "def outer():\n" + _function("inner", 61, indent="    ") + "    return inner\n"
    method = "class A:\n" + _function("method", 61, indent="    ")
    (pkg / "m.py").write_text(nested + "\n\n" + method)
    problems = _checker().long_functions(pkg)
    assert [p.split(": ")[1].split(" is ")[0] for p in problems] == ["outer", "inner", "method"]


def test_the_command_fails_when_a_function_is_too_long(tmp_path, capsys):
    pkg = tmp_path / "formcheck"
    pkg.mkdir()
    (pkg / "m.py").write_text(_function("fine", 10))
    assert _checker().main([str(pkg)]) == 0
    (pkg / "m.py").write_text(_function("too_long", 70))
    assert _checker().main([str(pkg)]) == 1
    assert "formcheck/m.py:1: too_long is 71 lines" in capsys.readouterr().out
