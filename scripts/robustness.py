"""Run the landmark-level robustness suite against whichever formcheck is on PYTHONPATH.

    PYTHONPATH=/path/to/tree/src python scripts/robustness.py --labels ../shared/sample_videos/labels.toml

The analyzers come from the formcheck that ``import formcheck`` finds. When that tree has no
robustness module yet (a branch made before it landed), this file's own copy
(``../src/formcheck/**/robustness.py``) is loaded into that package, so a branch can measure
its analyzers before rebasing. Arguments are those of ``python -m formcheck.analysis.robustness``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CANDIDATES = ("formcheck.analysis.robustness", "formcheck.robustness")


def _load():
    for name in CANDIDATES:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    import formcheck

    pkg = Path(formcheck.__file__).parent
    for own in sorted((HERE.parent / "src" / "formcheck").rglob("robustness.py")):
        rel = own.relative_to(HERE.parent / "src").with_suffix("")
        name = ".".join(rel.parts)
        if not (pkg.parent / rel.parent).is_dir():
            continue
        spec = importlib.util.spec_from_file_location(name, own)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except ImportError as exc:
            del sys.modules[name]
            raise SystemExit(f"{own} does not fit the formcheck at {pkg} ({exc}); "
                             "rebase that branch onto main") from exc
        return mod
    raise SystemExit(f"no robustness module for the formcheck at {pkg}")


if __name__ == "__main__":
    rb = _load()
    print(f"analyzers from {Path(sys.modules['formcheck'].__file__).parent}", file=sys.stderr)
    raise SystemExit(rb.main())
