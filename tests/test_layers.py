"""The layering rule (scripts/check_layers.py): no import cycle, no import from a higher layer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _checker():
    spec = importlib.util.spec_from_file_location("check_layers", ROOT / "scripts" / "check_layers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _tree(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "formcheck"
    for rel, text in {"__init__.py": "", **files}.items():
        p = pkg / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return pkg


def test_formcheck_has_no_cycle_and_no_upward_import():
    assert _checker().check(ROOT / "src" / "formcheck") == []


def test_an_upward_import_is_reported_even_inside_a_function(tmp_path):
    pkg = _tree(tmp_path, {
        "core/__init__.py": "",
        "core/pose.py": "def f():\n    from ..render.overlay import draw\n",
        "render/__init__.py": "",
        "render/overlay.py": "",
    })
    problems = _checker().check(pkg)
    assert problems == ["formcheck/core/pose.py:2: formcheck.core.pose (core) imports "
                        "formcheck.render.overlay from a higher layer (render)"]


def test_an_import_cycle_within_a_layer_is_reported(tmp_path):
    pkg = _tree(tmp_path, {
        "batch/__init__.py": "",
        "batch/runner.py": "def run():\n    from formcheck.batch import dask_backend\n",
        "batch/dask_backend.py": "from formcheck.batch.runner import run\n",
    })
    assert _checker().check(pkg) == [
        "import cycle: formcheck.batch.dask_backend <-> formcheck.batch.runner"]


def test_a_module_outside_the_layers_and_a_heavy_package_root_are_reported(tmp_path):
    pkg = _tree(tmp_path, {"helpers.py": "", "core/__init__.py": "", "core/pose.py": ""})
    (pkg / "__init__.py").write_text("from formcheck.core.pose import *\n")
    problems = _checker().check(pkg)
    assert any("helpers" in p and "no layer" in p for p in problems)
    assert any("package root imports formcheck.core.pose" in p for p in problems)
